// `--slo`: what a variant must hold for `benchlab capacity` to say it sustains a rate, and for `run`'s verdict.
// Written as what must hold ("p99<1s"), the mirror of --fail-on's limits ("p99>1s"), so it has its own parser.
import type { VariantResult } from './result.js';
import { optionError } from './errors.js';
import { CAPACITY_DEFAULTS } from './defaults.js';

export type LatencyField = 'p50' | 'p90' | 'p99' | 'p999' | 'max';

export type Objective = { kind: 'errors'; text: string; belowPercent: number } | { kind: 'latency'; text: string; field: LatencyField; belowMs: number };

const DEFAULT_SLO = CAPACITY_DEFAULTS.slo;

const ERRORS_PATTERN = /^errors\s*<\s*(\d+(?:\.\d+)?)\s*%$/;
const LATENCY_PATTERN = /^(p50|p90|p99|p999|max)\s*<\s*(\d+(?:\.\d+)?)\s*(ms|s)$/;
const FORMS = 'errors<N% or p50|p90|p99|p999|max<N followed by ms or s';

function parseOne(item: string, option: string): Objective {
  const text = item.trim().toLowerCase().replace(/\s+/g, '');
  const errors = ERRORS_PATTERN.exec(text);
  if (errors) {
    const belowPercent = Number(errors[1]);
    if (belowPercent <= 0 || belowPercent > 100) throw optionError(option, `has "${item.trim()}": an error share must be above 0% and at most 100%`);
    return { kind: 'errors', text, belowPercent };
  }
  const latency = LATENCY_PATTERN.exec(text);
  if (latency) {
    const value = Number(latency[2]);
    const belowMs = latency[3] === 's' ? value * 1000 : value;
    if (belowMs <= 0) throw optionError(option, `has "${item.trim()}": a time limit must be above 0`);
    return { kind: 'latency', text, field: latency[1] as LatencyField, belowMs };
  }
  throw optionError(option, `has "${item.trim()}"; each objective must be ${FORMS} (e.g. "${DEFAULT_SLO}")`);
}

/** "errors<1%,p99<1s" -> objectives; anything else is an option error naming `option`. */
export function parseSlo(spec: string, option = '--slo'): Objective[] {
  const items = spec.split(',');
  if (items.some((item) => item.trim() === '')) throw optionError(option, `has an empty objective (got "${spec}"); use e.g. "${DEFAULT_SLO}"`);
  const objectives = items.map((item) => parseOne(item, option));
  const seen = new Set<string>();
  for (const o of objectives) {
    const key = o.kind === 'errors' ? 'errors' : o.field;
    if (seen.has(key)) throw optionError(option, `names ${key} twice (got "${spec}")`);
    seen.add(key);
  }
  return objectives;
}

export function sloText(objectives: readonly Objective[]): string {
  return objectives.map((o) => o.text).join(',');
}

/** The slowest latency limit of the SLO in ms, or undefined when it sets none. */
export function slowestLatencyMs(objectives: readonly Objective[]): number | undefined {
  const limits = objectives.flatMap((o) => (o.kind === 'latency' ? [o.belowMs] : []));
  return limits.length === 0 ? undefined : Math.max(...limits);
}

function trimmed(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}

function brokenBy(result: VariantResult, objective: Objective): string | null {
  if (objective.kind === 'errors') {
    const { failed, scheduled } = result.users;
    const percent = scheduled === 0 ? 0 : (failed / scheduled) * 100;
    return percent < objective.belowPercent ? null : `errors ${trimmed(percent, 2)}% (${failed} of ${scheduled} users)`;
  }
  const times = result.sessionTimeUs;
  if (times.count === 0) return `${objective.field} unknown: no user finished`;
  const ms = times[objective.field] / 1000;
  return ms < objective.belowMs ? null : `${objective.field} ${trimmed(ms, 1)} ms`;
}

/** Each objective the result misses, as "p99 1204.3 ms" or "errors 2.5% (5 of 200 users)"; empty when it holds. */
export function sloBreaks(result: VariantResult, objectives: readonly Objective[]): string[] {
  return objectives.flatMap((objective) => {
    const broken = brokenBy(result, objective);
    return broken === null ? [] : [broken];
  });
}
