// The one sentence the original ended with ("the prefork HTTP server served more users with half the
// errors"): which variant served the most users within the SLO, by how much, and whether that
// difference exceeds the noise.
import { countAtOrBelow, decodeTimeHistogram } from '../common/histogram.js';
import type { VariantResult } from '../common/result.js';
import { parseSlo, slowestLatencyMs, sloText, type Objective } from '../common/slo.js';
import { CAPACITY_DEFAULTS } from '../common/defaults.js';
import { calibrationCaveats } from './calibration-section.js';
import type { CapacityReport } from './capacity-result.js';
import { wilsonInterval } from './compare.js';
import type { RunInfo } from './run-info.js';

/** The users a result served within the SLO's slowest time limit (every user served, when it sets none). */
export function servedWithin(result: VariantResult, slo: readonly Objective[]): number {
  const limitMs = slowestLatencyMs(slo);
  if (limitMs === undefined || result.sessionTimeUs.count === 0 || result.sessionTimeUs.histogram === '') return result.users.ok;
  const histogram = decodeTimeHistogram(result.sessionTimeUs.histogram);
  try {
    return Math.min(result.users.ok, countAtOrBelow(histogram, limitMs * 1000));
  } finally {
    histogram.destroy();
  }
}

function sloOf(run: RunInfo, capacity: CapacityReport | undefined): Objective[] {
  const text = capacity?.slo ?? (typeof run.options['slo'] === 'string' ? (run.options['slo'] as string) : CAPACITY_DEFAULTS.slo);
  try {
    return parseSlo(text);
  } catch {
    return parseSlo(CAPACITY_DEFAULTS.slo);
  }
}

const number = (n: number) => n.toLocaleString('en-US');
const percentMore = (a: number, b: number) => (b > 0 ? `${Math.round(((a - b) / b) * 100)}% more than` : 'where');

function noiseNote(results: readonly VariantResult[]): string {
  return calibrationCaveats(results).length > 0 ? " The machine's speed moved between variants, though: see the note below." : '';
}

function runVerdict(run: RunInfo, results: readonly VariantResult[]): string {
  const slo = sloOf(run, undefined);
  const limitMs = slowestLatencyMs(slo);
  const within = limitMs === undefined ? '' : ` in under ${number(limitMs / 1000)} s`;
  const ranked = results.map((r) => ({ r, served: servedWithin(r, slo) })).sort((a, b) => b.served - a.served || a.r.sessionTimeUs.p99 - b.r.sessionTimeUs.p99);
  const [first, second] = ranked;
  if (first === undefined) return 'Verdict: no variant was measured.';
  const held = (r: VariantResult) => (r.slo?.held ? 'held the SLO' : `broke it (${r.slo?.breaks.join(', ') ?? 'see below'})`);
  const lead = `${first.r.variant} served ${number(first.served)} of ${number(first.r.users.scheduled)} users within the SLO (${sloText(slo)})${within}`;
  if (second === undefined) return `Verdict: ${lead}, and ${held(first.r)}.`;
  if (first.served === 0) return `Verdict: no variant served a user within the SLO (${sloText(slo)}); the load was more than any of them could take.`;
  const tied = ranked.filter((x) => x.served === first.served && x.r.users.scheduled === first.r.users.scheduled).map((x) => x.r.variant);
  if (tied.length > 1) {
    const names = tied.length === 2 ? tied.join(' and ') : `${tied.slice(0, -1).join(', ')} and ${tied.at(-1)}`;
    return `Verdict: ${names} each served ${number(first.served)} of ${number(first.r.users.scheduled)} users within the SLO (${sloText(slo)}); this load does not set them apart (raise it, or let benchlab capacity find each one's limit).${noiseNote(results)}`;
  }
  const a = wilsonInterval(first.served, first.r.users.scheduled);
  const b = wilsonInterval(second.served, second.r.users.scheduled);
  const beyond = a !== null && b !== null && a.low > b.high;
  return (
    `Verdict: ${lead}, ${percentMore(first.served, second.served)} ${second.r.variant} (${number(second.served)}); ` +
    `${beyond ? 'the difference exceeds the noise (the 95% ranges of the two shares do not overlap)' : 'the difference is within the noise (the 95% ranges of the two shares overlap)'}. ` +
    `${first.r.variant} ${held(first.r)}.${noiseNote(results)}`
  );
}

function capacityVerdict(capacity: CapacityReport, results: readonly VariantResult[]): string {
  const measured = capacity.variants.filter((v) => v.capacity !== null).sort((a, b) => b.capacity! - a.capacity!);
  const [first, second] = measured;
  if (first === undefined) return `Verdict: no variant sustained even the lowest rate within the SLO (${capacity.slo}).`;
  const lead = `${first.variant} sustained the highest rate within the SLO (${capacity.slo}): ${number(first.capacity!)} users/s`;
  if (second === undefined) return `Verdict: ${lead}.`;
  // Each capacity lies between the highest rate that held and the lowest that broke.
  const secondFailedAt = second.steps.filter((s) => !s.pass && s.rate > second.capacity!).map((s) => s.rate);
  const secondCeiling = secondFailedAt.length > 0 ? Math.min(...secondFailedAt) : Number.POSITIVE_INFINITY;
  const beyond = first.capacity! >= secondCeiling;
  return (
    `Verdict: ${lead}, ${percentMore(first.capacity!, second.capacity!)} ${second.variant} (${number(second.capacity!)} users/s); ` +
    `${beyond ? `the difference exceeds the search's resolution (${second.variant} broke the SLO at ${number(secondCeiling)} users/s)` : `the two are within the search's resolution (${second.variant}'s capacity lies below ${Number.isFinite(secondCeiling) ? number(secondCeiling) : 'a rate not reached'} users/s)`}.${noiseNote(results)}`
  );
}

/** One sentence for the top of summary.md and report.html. */
export function verdictSentence(run: RunInfo, results: readonly VariantResult[], capacity?: CapacityReport): string {
  return capacity !== undefined ? capacityVerdict(capacity, results) : runVerdict(run, results);
}
