// `--fail-on`: limits a run must stay within for CI; a broken one makes `benchlab run` exit 99 (k6's convention).
import type { VariantResult } from '../common/result.js';
import { optionError } from '../common/errors.js';
import type { LatencyField } from '../common/slo.js';

export const THRESHOLD_EXIT_CODE = 99;

export type Threshold =
  | { kind: 'errors'; text: string; maxPercent: number }
  | { kind: 'latency'; text: string; field: LatencyField; maxMs: number }
  | { kind: 'integrity'; text: string };

export interface Breach {
  variant: string;
  threshold: string;
  /** What was measured and by how much it missed, e.g. "p99 is 1204 ms, 404 ms over". */
  detail: string;
}

const ERRORS_PATTERN = /^errors\s*>\s*(\d+(?:\.\d+)?)\s*%$/;
const LATENCY_PATTERN = /^(p50|p90|p99|p999|max)\s*>\s*(\d+(?:\.\d+)?)\s*(ms|s)$/;
const FORMS = 'errors>N%, p50|p90|p99|p999|max>N followed by ms or s, or integrity';

function parseOne(item: string): Threshold {
  const text = item.trim().toLowerCase();
  if (text === 'integrity') return { kind: 'integrity', text };
  const errors = ERRORS_PATTERN.exec(text);
  if (errors) {
    const maxPercent = Number(errors[1]);
    if (maxPercent > 100) throw optionError('--fail-on', `has "${item.trim()}": an error share is at most 100%`);
    return { kind: 'errors', text, maxPercent };
  }
  const latency = LATENCY_PATTERN.exec(text);
  if (latency) {
    const value = Number(latency[2]);
    return { kind: 'latency', text, field: latency[1] as LatencyField, maxMs: latency[3] === 's' ? value * 1000 : value };
  }
  throw optionError('--fail-on', `has "${item.trim()}"; each limit must be ${FORMS} (e.g. "errors>1%,p99>800ms")`);
}

/** "errors>1%,p99>800ms,integrity" -> thresholds; anything else is a --fail-on option error. */
export function parseThresholds(spec: string): Threshold[] {
  const items = spec.split(',');
  if (items.some((item) => item.trim() === '')) throw optionError('--fail-on', `has an empty limit (got "${spec}"); use e.g. "errors>1%,p99>800ms"`);
  return items.map(parseOne);
}

function trimmed(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}

function breachOf(result: VariantResult, threshold: Threshold): string | null {
  switch (threshold.kind) {
    case 'integrity': {
      const { ok, problems } = result.integrity;
      if (ok === true) return null;
      return ok === null ? 'integrity not audited (no database to audit against)' : `integrity failed: ${problems.join(', ')}`;
    }
    case 'errors': {
      const { failed, scheduled } = result.users;
      const percent = scheduled === 0 ? 0 : (failed / scheduled) * 100;
      if (percent <= threshold.maxPercent) return null;
      return `errors are ${trimmed(percent, 2)}% (${failed} of ${scheduled} users), ${trimmed(percent - threshold.maxPercent, 2)} points over`;
    }
    case 'latency': {
      const times = result.sessionTimeUs;
      if (times.count === 0) return `${threshold.field} is unknown: no user finished`;
      const ms = times[threshold.field] / 1000;
      if (ms <= threshold.maxMs) return null;
      return `${threshold.field} is ${trimmed(ms, 1)} ms, ${trimmed(ms - threshold.maxMs, 1)} ms over (+${trimmed(((ms - threshold.maxMs) / threshold.maxMs) * 100, 1)}%)`;
    }
  }
}

/** Every limit every variant broke, in variant order, then limit order. */
export function thresholdBreaches(results: readonly VariantResult[], thresholds: readonly Threshold[]): Breach[] {
  return results.flatMap((result) =>
    thresholds.flatMap((threshold) => {
      const detail = breachOf(result, threshold);
      return detail === null ? [] : [{ variant: result.variant, threshold: threshold.text, detail }];
    }),
  );
}

export function formatBreach(breach: Breach): string {
  return `${breach.variant} breaks --fail-on ${breach.threshold}: ${breach.detail}`;
}
