import type { VariantResult } from './result.js';

// Repeating a run in a shuffled order is how a difference between variants earns trust: what
// moves between repetitions of one variant is noise, and only what exceeds it is a finding.

export type RepeatedMetric = 'usersPerSecond' | 'p50Ms' | 'p90Ms' | 'p99Ms' | 'maxMs' | 'errorsPercent' | 'cpuSeconds' | 'rssPeakMb';

export interface MetricSpread {
  median: number;
  min: number;
  max: number;
  values: number[];
}

export interface RepetitionSummary {
  count: number;
  /** Which repetition `<variant>.json` holds: the one with the median p99. */
  representative: number;
  metrics: Record<RepeatedMetric, MetricSpread>;
  /** Each round's own verdicts, in round order: a saturated or lossy round is named, whichever round is representative. */
  rounds?: Array<{
    valid: boolean;
    integrityOk: boolean | null;
    /** The round's measured app CPU per user against its warm-up's last readings (measured / warm − 1), where the two compare. */
    warmUpChange?: number;
    /** The round's first seconds' app CPU per user against its own last half (start / steady − 1), where it could be read. */
    startChange?: number;
  }>;
}

const MS_PER_US = 1 / 1000;

export function metricsOf(r: VariantResult): Record<RepeatedMetric, number> {
  return {
    usersPerSecond: r.durationSeconds > 0 ? r.users.ok / r.durationSeconds : 0,
    p50Ms: r.sessionTimeUs.p50 * MS_PER_US,
    p90Ms: r.sessionTimeUs.p90 * MS_PER_US,
    p99Ms: r.sessionTimeUs.p99 * MS_PER_US,
    maxMs: r.sessionTimeUs.max * MS_PER_US,
    errorsPercent: r.users.scheduled > 0 ? (100 * r.users.failed) / r.users.scheduled : 0,
    // NaN where the server was not sampled: a spread is taken over the rounds that measured it.
    cpuSeconds: r.server?.cpuSeconds ?? Number.NaN,
    rssPeakMb: r.server ? r.server.rssPeakBytes / 1e6 : Number.NaN,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summariseRepetitions(runs: readonly VariantResult[]): RepetitionSummary {
  if (runs.length === 0) throw new Error('no repetitions to summarise');
  const each = runs.map(metricsOf);
  const names = Object.keys(each[0]!) as RepeatedMetric[];
  const metrics = {} as Record<RepeatedMetric, MetricSpread>;
  for (const name of names) {
    const values = each.map((m) => m[name]);
    const measured = values.filter(Number.isFinite);
    metrics[name] =
      measured.length === 0
        ? { median: Number.NaN, min: Number.NaN, max: Number.NaN, values }
        : { median: median(measured), min: Math.min(...measured), max: Math.max(...measured), values };
  }
  // The representative run is the one whose p99 sits in the middle, so its histograms match the median.
  const byP99 = each.map((m, i) => [m.p99Ms, i] as const).sort((a, b) => a[0] - b[0]);
  const rounds = runs.map((r) => ({ valid: r.validity?.valid !== false, integrityOk: r.integrity?.ok ?? null }));
  return { count: runs.length, representative: byP99[(byP99.length - 1) >> 1]![1], metrics, rounds };
}

/**
 * The result that stands for all rounds: the median-p99 round's figures, with every round's validity
 * and integrity, so a saturated or lossy round flags the variant (summary, warnings, --fail-on) even
 * when another round is the representative.
 */
export function representativeOf(runs: readonly VariantResult[]): VariantResult {
  const repetitions = summariseRepetitions(runs);
  const chosen = runs[repetitions.representative]!;
  const invalid = runs.flatMap((r, i) => (r.validity && !r.validity.valid ? r.validity.reasons.map((reason) => `round ${i + 1}: ${reason}`) : []));
  const validity = runs.some((r) => r.validity) ? { valid: invalid.length === 0, reasons: invalid } : undefined;
  const problems = runs.flatMap((r, i) => (r.integrity.ok === false ? r.integrity.problems.map((p) => `round ${i + 1}: ${p}`) : []));
  const ok = runs.some((r) => r.integrity.ok === false) ? false : runs.every((r) => r.integrity.ok === true) ? true : null;
  return { ...chosen, ...(validity ? { validity } : {}), integrity: { ...chosen.integrity, ok, problems }, repetitions };
}

/** Two variants differ beyond the noise on a metric only when their min–max ranges do not overlap. */
export function beyondNoise(a: MetricSpread, b: MetricSpread): boolean {
  return a.max < b.min || b.max < a.min;
}

/** Fisher–Yates with a seeded generator, so a run's order can be reproduced from run.json. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
