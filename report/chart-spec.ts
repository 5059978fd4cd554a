// The charts a report page embeds as JSON; report/browser-charts.ts draws exactly these shapes.

export interface LineSeries {
  label: string;
  values: Array<number | null>;
  /** A timeline's latency series goes on a second axis in ms. */
  axis?: 'count' | 'ms';
  /** Drawn dashed, e.g. the earlier run in a comparison. */
  dashed?: boolean;
  /** Index into the page's palette, so a variant keeps its colour on every chart. */
  colorIndex: number;
}

/** Latency by percentile; x holds 100 / (100 - percentile), which a log axis spreads evenly per nine. */
export interface SpectrumChart {
  kind: 'spectrum';
  id: string;
  title: string;
  x: number[];
  series: LineSeries[];
}

/** Events per second since the first arrival. */
export interface TimelineChart {
  kind: 'timeline';
  id: string;
  title: string;
  x: number[];
  series: LineSeries[];
}

export interface BarLayer {
  label: string;
  /** The layer's own value per category. */
  values: number[];
  /** Running sum of this and every layer below it: the top edge of the layer's segment. */
  tops: number[];
  colorIndex: number;
}

/** Bars per category, each split into stacked layers (one layer: plain bars). */
export interface StackedBarChart {
  kind: 'stacked-bars';
  id: string;
  title: string;
  unit: string;
  /** What a category is ("variant", "worker"), for the legend. */
  categoryName: string;
  categories: string[];
  layers: BarLayer[];
}

/** A figure against the arrival rate, a line per variant through its capacity steps; null where a variant had no step. */
export interface RateChart {
  kind: 'rate';
  id: string;
  title: string;
  /** Arrival rates in users/s, ascending, drawn on a log2 axis since the search doubles them. */
  x: number[];
  /** Where the rate axis has its labels: the doubling rates, where every variant has a step. */
  ticks: number[];
  series: LineSeries[];
  yLabel: string;
  logY: boolean;
  /** What x is when it is not the arrival rate (a sweep's knob), and whether its axis is log2 (the default). */
  xLabel?: string;
  logX?: boolean;
}

export type ChartSpec = SpectrumChart | TimelineChart | StackedBarChart | RateChart;
