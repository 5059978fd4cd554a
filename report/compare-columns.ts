// The comparison table's columns, shared by the terminal, compare.md and compare.html.
import type { Column } from './columns.js';
import type { Interval, MetricChange, MetricKey } from './compare.js';
import { fixedTrimmed, formatCpuSeconds, formatMs, MISSING } from './format.js';

export interface CompareRow {
  variant: string;
  change: MetricChange;
}

export const NOISE_RULE =
  'A change is "larger than noise" when it is at least 10% and the 95% ranges of the two runs do not overlap. ' +
  'With repetitions (--repeat) the values are their medians and the range is what they spanned; without them it is estimated from one run: for a percentile p ' +
  'over n users, the rank n·p varies by ±1.96·sqrt(n·p·(1−p)), and the histogram turns those ranks into times; for the error ' +
  'share, the Wilson score interval. users/s, max, CPU and memory have no estimate from one run and only get the 10% rule.';

export function formatMetricValue(metric: MetricKey, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return MISSING;
  switch (metric) {
    case 'usersPerSecond':
      return value.toFixed(1);
    case 'errorShare':
      return `${fixedTrimmed(value * 100, 2)}%`;
    case 'cpuSeconds':
      return formatCpuSeconds(value);
    case 'rssPeakMb':
      return value.toFixed(1);
    default:
      return formatMs(value);
  }
}

function signed(text: string, value: number): string {
  return value > 0 ? `+${text}` : text;
}

/** Relative change in percent; the error share changes in percentage points, since it often starts at 0. */
export function formatChange(change: MetricChange): string {
  const { a, b, relative } = change;
  if (a === null || b === null || relative === null) return MISSING;
  if (change.metric === 'errorShare') {
    const points = (b - a) * 100;
    return points === 0 ? '0' : signed(`${fixedTrimmed(points, 2)} pts`, points);
  }
  if (!Number.isFinite(relative)) return 'from 0';
  return signed(`${fixedTrimmed(relative * 100, 1)}%`, relative);
}

export function formatInterval(metric: MetricKey, interval: Interval | null): string {
  if (interval === null) return MISSING;
  return `${formatMetricValue(metric, interval.low)}–${formatMetricValue(metric, interval.high)}`;
}

export function formatVerdict(change: MetricChange): string {
  const directed = change.verdict === 'larger than noise' || change.verdict === 'over 10%, noise unknown';
  if (!directed || change.improved === null) return change.verdict;
  return `${change.verdict}: ${change.improved ? 'better' : 'worse'}`;
}

export const compareColumns: readonly Column<CompareRow>[] = [
  { header: 'variant', align: 'left', cell: (r) => r.variant },
  { header: 'metric', align: 'left', cell: (r) => r.change.label },
  { header: 'A', align: 'right', cell: (r) => formatMetricValue(r.change.metric, r.change.a) },
  { header: 'B', align: 'right', cell: (r) => formatMetricValue(r.change.metric, r.change.b) },
  { header: 'change', align: 'right', cell: (r) => formatChange(r.change) },
  { header: 'A 95% range', align: 'right', cell: (r) => formatInterval(r.change.metric, r.change.intervalA) },
  { header: 'B 95% range', align: 'right', cell: (r) => formatInterval(r.change.metric, r.change.intervalB) },
  { header: 'verdict', align: 'left', cell: (r) => formatVerdict(r.change) },
];
