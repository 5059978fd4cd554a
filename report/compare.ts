// Two runs side by side: per variant and metric, the change and whether it is larger than the noise.
//
// The rule: a change counts as larger than the noise when it is at least 10% AND the two runs' 95%
// intervals do not overlap. With repetitions (`--repeat`, in both result files) the values are the
// repetitions' medians and the interval is the range they spanned. Without them, sampling gives one for percentiles
// (the rank of percentile p among n users varies by ±z·sqrt(n·p·(1−p)); the histogram maps that rank
// interval to times) and for the error share (Wilson score interval). Users/s, CPU, memory and the
// max have no estimate from a single run: they only get the 10% rule and say so.
import type { TimeSummary, VariantResult } from '../common/result.js';
import type { MetricSpread, RepeatedMetric } from '../common/repetitions.js';
import { decodeTimeHistogram } from '../common/histogram.js';
import { hasTimes, msFromUs, ratio } from './format.js';

export const MIN_RELATIVE_CHANGE = 0.1;
/** Two-sided 95%. */
export const Z_95 = 1.96;
const BYTES_PER_MB = 1_000_000;

export type MetricKey = 'usersPerSecond' | 'p50' | 'p90' | 'p99' | 'max' | 'errorShare' | 'cpuSeconds' | 'rssPeakMb';
export type NoiseBasis = 'repetitions' | 'sampling' | 'none';
export type Verdict = 'larger than noise' | 'within noise' | 'under 10%' | 'over 10%, noise unknown' | 'not comparable';

export interface Interval {
  low: number;
  high: number;
}

export interface MetricChange {
  metric: MetricKey;
  label: string;
  a: number | null;
  b: number | null;
  /** (b − a) / a; Infinity when only a is 0; null when either value is missing. */
  relative: number | null;
  intervalA: Interval | null;
  intervalB: Interval | null;
  basis: NoiseBasis;
  verdict: Verdict;
  /** Whether b is the better value; null when they are equal or not comparable. */
  improved: boolean | null;
}

export interface VariantComparison {
  variant: string;
  changes: MetricChange[];
}

export interface RunComparison {
  variants: VariantComparison[];
  onlyInA: string[];
  onlyInB: string[];
}

type PercentileKey = 'p50' | 'p90' | 'p99';
const PERCENTILES: Record<PercentileKey, number> = { p50: 50, p90: 90, p99: 99 };

interface MetricDef {
  key: MetricKey;
  label: string;
  higherIsBetter: boolean;
  /** The same figure in a result's `repetitions`, and the factor from there to this metric's unit. */
  repeated: { name: RepeatedMetric; scale: number };
  value(r: VariantResult): number | null;
  /** The 95% interval expected from sampling alone, when one can be estimated from a single run. */
  samplingInterval?(r: VariantResult): Interval | null;
}

function timeMs(summary: TimeSummary, field: 'p50' | 'p90' | 'p99' | 'max'): number | null {
  return hasTimes(summary) ? msFromUs(summary[field]) : null;
}

/** The times between which percentile p of n recorded users falls with 95% confidence, in ms. */
export function percentileInterval(summary: TimeSummary, percentile: number, z = Z_95): Interval | null {
  if (!hasTimes(summary) || summary.histogram === '') return null;
  let histogram: ReturnType<typeof decodeTimeHistogram>;
  try {
    histogram = decodeTimeHistogram(summary.histogram);
  } catch {
    return null;
  }
  const n = histogram.totalCount;
  const p = percentile / 100;
  const half = n > 0 ? z * Math.sqrt((p * (1 - p)) / n) : 0;
  const interval =
    n === 0
      ? null
      : {
          low: msFromUs(histogram.getValueAtPercentile(Math.max(0, p - half) * 100)),
          high: msFromUs(histogram.getValueAtPercentile(Math.min(1, p + half) * 100)),
        };
  histogram.destroy();
  return interval;
}

/** Wilson score interval of a share of failures: sound at 0 failures, unlike the normal approximation. */
export function wilsonInterval(failures: number, trials: number, z = Z_95): Interval | null {
  if (trials <= 0) return null;
  const share = failures / trials;
  const z2 = z * z;
  const centre = (share + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z * Math.sqrt((share * (1 - share)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

const percentileMetric = (key: PercentileKey): MetricDef => ({
  key,
  label: `${key} ms`,
  higherIsBetter: false,
  repeated: { name: `${key}Ms`, scale: 1 },
  value: (r) => timeMs(r.sessionTimeUs, key),
  samplingInterval: (r) => percentileInterval(r.sessionTimeUs, PERCENTILES[key]),
});

export const METRICS: readonly MetricDef[] = [
  {
    key: 'usersPerSecond',
    label: 'users/s',
    higherIsBetter: true,
    repeated: { name: 'usersPerSecond', scale: 1 },
    value: (r) => ratio(r.users.ok, r.durationSeconds),
  },
  percentileMetric('p50'),
  percentileMetric('p90'),
  percentileMetric('p99'),
  { key: 'max', label: 'max ms', higherIsBetter: false, repeated: { name: 'maxMs', scale: 1 }, value: (r) => timeMs(r.sessionTimeUs, 'max') },
  {
    key: 'errorShare',
    label: 'errors',
    higherIsBetter: false,
    repeated: { name: 'errorsPercent', scale: 0.01 },
    value: (r) => ratio(r.users.failed, r.users.scheduled),
    samplingInterval: (r) => wilsonInterval(r.users.failed, r.users.scheduled),
  },
  { key: 'cpuSeconds', label: 'CPU s', higherIsBetter: false, repeated: { name: 'cpuSeconds', scale: 1 }, value: (r) => r.server?.cpuSeconds ?? null },
  {
    key: 'rssPeakMb',
    label: 'peak RSS MB',
    higherIsBetter: false,
    repeated: { name: 'rssPeakMb', scale: 1 },
    value: (r) => (r.server ? r.server.rssPeakBytes / BYTES_PER_MB : null),
  },
];

/** A metric's spread over the repetitions, when the result file carries two or more of them. */
function repeatedSpread(result: VariantResult, metric: MetricDef): MetricSpread | null {
  const repetitions = result.repetitions;
  if (!repetitions || !(repetitions.count >= 2)) return null;
  const spread = repetitions.metrics?.[metric.repeated.name];
  const finite = spread && [spread.median, spread.min, spread.max].every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!finite) return null;
  const { scale } = metric.repeated;
  return { median: spread.median * scale, min: spread.min * scale, max: spread.max * scale, values: spread.values.map((v) => v * scale) };
}

export function relativeChange(a: number, b: number): number {
  if (a === b) return 0;
  if (a === 0) return b > 0 ? Infinity : -Infinity;
  return (b - a) / Math.abs(a);
}

export function intervalsOverlap(x: Interval, y: Interval): boolean {
  return x.low <= y.high && y.low <= x.high;
}

function samplingNoise(metric: MetricDef, a: VariantResult, b: VariantResult): { basis: NoiseBasis; intervalA: Interval | null; intervalB: Interval | null } {
  const intervalA = metric.samplingInterval?.(a) ?? null;
  const intervalB = metric.samplingInterval?.(b) ?? null;
  if (intervalA && intervalB) return { basis: 'sampling', intervalA, intervalB };
  return { basis: 'none', intervalA: null, intervalB: null };
}

export function compareMetric(metric: MetricDef, a: VariantResult, b: VariantResult): MetricChange {
  const spreadA = repeatedSpread(a, metric);
  const spreadB = repeatedSpread(b, metric);
  const repeated = spreadA !== null && spreadB !== null;
  const valueA = repeated ? spreadA.median : metric.value(a);
  const valueB = repeated ? spreadB.median : metric.value(b);
  const base = { metric: metric.key, label: metric.label, a: valueA, b: valueB };
  if (valueA === null || valueB === null || !Number.isFinite(valueA) || !Number.isFinite(valueB)) {
    return { ...base, relative: null, intervalA: null, intervalB: null, basis: 'none', verdict: 'not comparable', improved: null };
  }
  const relative = relativeChange(valueA, valueB);
  const noise = repeated
    ? { basis: 'repetitions' as const, intervalA: { low: spreadA.min, high: spreadA.max }, intervalB: { low: spreadB.min, high: spreadB.max } }
    : samplingNoise(metric, a, b);
  const improved = valueA === valueB ? null : metric.higherIsBetter === valueB > valueA;
  let verdict: Verdict;
  if (Math.abs(relative) < MIN_RELATIVE_CHANGE) verdict = 'under 10%';
  else if (noise.basis === 'none' || !noise.intervalA || !noise.intervalB) verdict = 'over 10%, noise unknown';
  else verdict = intervalsOverlap(noise.intervalA, noise.intervalB) ? 'within noise' : 'larger than noise';
  return { ...base, relative, ...noise, verdict, improved };
}

/** Every variant present in both runs, in run A's order; the rest are named so nothing vanishes silently. */
export function compareRuns(a: readonly VariantResult[], b: readonly VariantResult[]): RunComparison {
  const byName = new Map(b.map((r) => [r.variant, r]));
  const namesA = new Set(a.map((r) => r.variant));
  const variants = a.flatMap((resultA) => {
    const resultB = byName.get(resultA.variant);
    return resultB ? [{ variant: resultA.variant, changes: METRICS.map((m) => compareMetric(m, resultA, resultB)) }] : [];
  });
  return {
    variants,
    onlyInA: a.filter((r) => !byName.has(r.variant)).map((r) => r.variant),
    onlyInB: b.filter((r) => !namesA.has(r.variant)).map((r) => r.variant),
  };
}
