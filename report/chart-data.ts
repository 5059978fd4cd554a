// Shapes result files into the charts of report.html; histograms are decoded here, never in the browser.
import type { ResourceSummary, TimelineSecond, TimeSummary, VariantResult } from '../common/result.js';
import { decodeTimeHistogram } from '../common/histogram.js';
import type { BarLayer, LineSeries, SpectrumChart, StackedBarChart, TimelineChart } from './chart-spec.js';
import { errorClassCounts, msFromUs } from './format.js';

/** Nines on the percentile axis: 0 .. 99.999 is five decades of 100 / (100 - p). */
const SPECTRUM_DECADES = 5;
const SPECTRUM_POINTS_PER_DECADE = 20;
const BYTES_PER_MB = 1_000_000;

export const TIMELINE_COLORS = { arrivals: 7, completions: 2, errors: 3, p50: 0, p99: 4 } as const;
/** Error classes start at red and move through warm colours, away from the variants' first colours. */
const ERROR_CLASS_COLORS = [3, 1, 5, 6, 8, 9, 4, 7];
const PROCESS_GROUP_COLORS = { server: 0, nginx: 9, database: 8 } as const;

/** Where a percentile sits on the spectrum's log axis: 0 -> 1, 90 -> 10, 99 -> 100, 99.999 -> 100000. */
export function spectrumPosition(percentile: number): number {
  return 100 / (100 - percentile);
}

/** Percentiles evenly spaced on that axis, from 0 to 99.999. */
export const SPECTRUM_PERCENTILES: readonly number[] = Array.from(
  { length: SPECTRUM_DECADES * SPECTRUM_POINTS_PER_DECADE + 1 },
  (_, i) => 100 * (1 - 10 ** (-i / SPECTRUM_POINTS_PER_DECADE)),
);

/** Values of the summary's own percentiles, for result files whose histogram cannot be decoded. */
function summarySteps(summary: TimeSummary): Array<[percentile: number, us: number]> {
  return [
    [0, summary.min],
    [50, summary.p50],
    [90, summary.p90],
    [99, summary.p99],
    [99.9, summary.p999],
    [100, summary.max],
  ];
}

/** Each percentile of the spectrum in ms, or all null when nothing was counted. */
export function spectrumMs(summary: TimeSummary): Array<number | null> {
  if (summary.count === 0) return SPECTRUM_PERCENTILES.map(() => null);
  let histogram: ReturnType<typeof decodeTimeHistogram> | undefined;
  try {
    histogram = summary.histogram === '' ? undefined : decodeTimeHistogram(summary.histogram);
  } catch {
    histogram = undefined;
  }
  if (histogram === undefined || histogram.totalCount === 0) {
    // Upper bound from the printed percentiles: the first one at or above each point.
    const steps = summarySteps(summary);
    return SPECTRUM_PERCENTILES.map((p) => msFromUs((steps.find(([at]) => at >= p) ?? steps[steps.length - 1]!)[1]));
  }
  const values = SPECTRUM_PERCENTILES.map((p) => msFromUs(histogram.getValueAtPercentile(p)));
  histogram.destroy();
  return values;
}

export interface LabelledTimes {
  label: string;
  times: TimeSummary;
  colorIndex: number;
  dashed?: boolean;
}

export function spectrumChart(id: string, title: string, entries: readonly LabelledTimes[]): SpectrumChart {
  return {
    kind: 'spectrum',
    id,
    title,
    x: SPECTRUM_PERCENTILES.map(spectrumPosition),
    series: entries.map((e) => ({
      label: e.label,
      values: spectrumMs(e.times),
      colorIndex: e.colorIndex,
      ...(e.dashed === true ? { dashed: true } : {}),
    })),
  };
}

/** Latency per second is drawn only when the timeline carries it (later result files may). */
type TimelineLatency = TimelineSecond & { p50Us?: unknown; p99Us?: unknown };

function latencySeries(timeline: readonly TimelineLatency[], field: 'p50Us' | 'p99Us', label: string, colorIndex: number): LineSeries[] {
  if (!timeline.some((s) => typeof s[field] === 'number')) return [];
  const values = timeline.map((s) => {
    const us = s[field];
    return typeof us === 'number' && Number.isFinite(us) ? msFromUs(us) : null;
  });
  return [{ label, values, axis: 'ms', colorIndex }];
}

export function timelineChart(id: string, title: string, timeline: readonly TimelineSecond[]): TimelineChart {
  const seconds = [...timeline].sort((a, b) => a.second - b.second) as TimelineLatency[];
  return {
    kind: 'timeline',
    id,
    title,
    x: seconds.map((s) => s.second),
    series: [
      { label: 'arrivals/s', values: seconds.map((s) => s.arrivals), axis: 'count', colorIndex: TIMELINE_COLORS.arrivals },
      { label: 'completions/s', values: seconds.map((s) => s.completions), axis: 'count', colorIndex: TIMELINE_COLORS.completions },
      { label: 'errors/s', values: seconds.map((s) => s.errors), axis: 'count', colorIndex: TIMELINE_COLORS.errors },
      ...latencySeries(seconds, 'p50Us', 'p50 ms', TIMELINE_COLORS.p50),
      ...latencySeries(seconds, 'p99Us', 'p99 ms', TIMELINE_COLORS.p99),
    ],
  };
}

/** Running sums over the layers, bottom layer first: the top edge of every segment of a stack. */
export function stackTops(layers: readonly (readonly number[])[]): number[][] {
  const tops: number[][] = [];
  layers.forEach((values, layer) => {
    tops.push(values.map((value, i) => value + (layer === 0 ? 0 : tops[layer - 1]![i]!)));
  });
  return tops;
}

interface LayerInput {
  label: string;
  values: number[];
  colorIndex: number;
}

interface BarAxes {
  unit: string;
  categoryName: string;
  categories: string[];
}

export function stackedBarChart(id: string, title: string, axes: BarAxes, inputs: readonly LayerInput[]): StackedBarChart {
  const tops = stackTops(inputs.map((l) => l.values));
  const layers: BarLayer[] = inputs.map((l, i) => ({ ...l, tops: tops[i]! }));
  return { kind: 'stacked-bars', id, title, ...axes, layers };
}

/**
 * Failed users per variant, one layer per origin (where they failed: the client's cap or timeout,
 * nginx, the app, the content check), the most frequent over all variants at the bottom. Results
 * written before origins were recorded are drawn by error class.
 */
export function errorClassChart(id: string, results: readonly VariantResult[]): StackedBarChart {
  const counts = (r: VariantResult) => r.errorOrigins ?? r.errors;
  const totals: Record<string, number> = {};
  for (const r of results) for (const [origin, users] of Object.entries(counts(r))) totals[origin] = (totals[origin] ?? 0) + users;
  const classes = errorClassCounts(totals).map(([origin]) => origin);
  const layers = classes.map((origin, i) => ({
    label: origin,
    values: results.map((r) => counts(r)[origin] ?? 0),
    colorIndex: ERROR_CLASS_COLORS[i % ERROR_CLASS_COLORS.length]!,
  }));
  const title = classes.length === 0 ? 'Failed users by origin (none failed)' : 'Failed users by origin';
  return stackedBarChart(id, title, { unit: 'users', categoryName: 'variant', categories: results.map((r) => r.variant) }, layers);
}

type ProcessGroup = keyof typeof PROCESS_GROUP_COLORS;

function groupResources(r: VariantResult): Record<ProcessGroup, ResourceSummary | null> {
  return { server: r.server, nginx: r.nginx, database: r.database };
}

/** A resource per variant, stacked by process group; the database layer appears only when one was sampled. */
export function resourceChart(
  id: string,
  title: string,
  results: readonly VariantResult[],
  measure: 'cpuSeconds' | 'rssPeakBytes' | 'rssMeanBytes',
): StackedBarChart {
  const toUnit = (value: number) => (measure === 'cpuSeconds' ? value : value / BYTES_PER_MB);
  // A group appears only when it was sampled for some variant: an unsampled figure is not a zero.
  const groups = (Object.keys(PROCESS_GROUP_COLORS) as ProcessGroup[]).filter((group) => results.some((r) => groupResources(r)[group] !== null));
  const layers = groups.map((group) => ({
    label: group === 'server' ? 'app server' : group,
    values: results.map((r) => {
      const value = groupResources(r)[group]?.[measure];
      return typeof value === 'number' && Number.isFinite(value) ? toUnit(value) : 0;
    }),
    colorIndex: PROCESS_GROUP_COLORS[group],
  }));
  const unit = measure === 'cpuSeconds' ? 's' : 'MB';
  if (groups.length === 0) title = `${title} (not sampled)`;
  return stackedBarChart(id, title, { unit, categoryName: 'variant', categories: results.map((r) => r.variant) }, layers);
}

/** Responses per X-Worker value, busiest first, so an uneven spread shows as a slope. */
export function workerChart(id: string, result: VariantResult, colorIndex: number): StackedBarChart {
  const workers = Object.entries(result.workers).sort(([a, x], [b, y]) => y - x || a.localeCompare(b, 'en', { numeric: true }));
  const title = `${result.variant}: responses per worker (${workers.length} seen)`;
  return stackedBarChart(id, title, { unit: 'responses', categoryName: 'worker', categories: workers.map(([worker]) => worker) }, [
    { label: 'responses', values: workers.map(([, responses]) => responses), colorIndex },
  ]);
}
