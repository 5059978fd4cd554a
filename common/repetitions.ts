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
    cpuSeconds: r.server.cpuSeconds,
    rssPeakMb: r.server.rssPeakBytes / 1e6,
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
    metrics[name] = { median: median(values), min: Math.min(...values), max: Math.max(...values), values };
  }
  // The representative run is the one whose p99 sits in the middle, so its histograms match the median.
  const byP99 = each.map((m, i) => [m.p99Ms, i] as const).sort((a, b) => a[0] - b[0]);
  return { count: runs.length, representative: byP99[(byP99.length - 1) >> 1]![1], metrics };
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
