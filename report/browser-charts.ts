// Runs inside report.html and compare.html: draws the embedded chart specs with uPlot, nothing else.
// uPlot because it is ~50 KB inlined into every results folder (ECharts is 0.5-1.1 MB), canvas-fast and MIT.
import type UPlot from 'uplot';
import type { ChartSpec, LineSeries, RateChart, SpectrumChart, StackedBarChart, TimelineChart } from './chart-spec.js';

declare const uPlot: typeof UPlot;

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const CHART_HEIGHT_PX = 260;
const SPECTRUM_TICKS = [1, 10, 100, 1_000, 10_000, 100_000];
const DASH = [6, 4];
const SECOND_INCREMENTS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];

function color(index: number): string {
  return PALETTE[index % PALETTE.length] ?? '#000';
}

function formatNumber(value: number): string {
  const magnitude = Math.abs(value);
  const decimals = magnitude === 0 || magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toFixed(decimals);
}

/** The percentile at a spectrum position (100 / (100 - p)), with as many decimals as it has nines. */
function percentileLabel(position: number): string {
  if (!(position > 1)) return '0%';
  const percentile = 100 - 100 / position;
  const decimals = Math.max(0, Math.round(Math.log10(position)) - 2);
  return `${Number(percentile.toFixed(decimals))}%`;
}

function logRange(_u: UPlot, min: number | null, max: number | null): UPlot.Range.MinMax {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max) || max <= 0) return [0.1, 10];
  return uPlot.rangeLog(Math.max(min, 0.001), max, 10, true);
}

function zeroBasedRange(_u: UPlot, _min: number | null, max: number | null): UPlot.Range.MinMax {
  return [0, max !== null && Number.isFinite(max) && max > 0 ? max * 1.08 : 1];
}

function lineSeries(s: LineSeries, scale?: string, showPoints = false): UPlot.Series {
  return {
    label: s.label,
    stroke: color(s.colorIndex),
    width: 2,
    ...(s.dashed === true ? { dash: DASH } : {}),
    ...(scale !== undefined ? { scale } : {}),
    points: showPoints ? { show: true, size: 8, fill: color(s.colorIndex) } : { show: false },
    value: (_u, v) => (v === null || v === undefined ? '-' : formatNumber(v)),
  };
}

function spectrumOptions(spec: SpectrumChart, width: number): [UPlot.Options, UPlot.AlignedData] {
  const options: UPlot.Options = {
    title: spec.title,
    width,
    height: CHART_HEIGHT_PX,
    // Room on the right for the last tick label, "99.999%".
    padding: [null, 28, null, null],
    scales: { x: { time: false, distr: 3, log: 10, range: [1, 100_000] }, y: { distr: 3, log: 10, range: logRange } },
    axes: [
      { label: 'percentile', splits: () => SPECTRUM_TICKS, values: (_u, splits) => splits.map(percentileLabel) },
      { label: 'ms (log scale)', size: 60, values: (_u, splits) => splits.map((v) => (v === null ? '' : formatNumber(v))) },
    ],
    series: [{ label: 'percentile', value: (_u, v) => (v === null || v === undefined ? '-' : percentileLabel(v)) }, ...spec.series.map((s) => lineSeries(s))],
  };
  return [options, [spec.x, ...spec.series.map((s) => s.values)]];
}

function timelineOptions(spec: TimelineChart, width: number): [UPlot.Options, UPlot.AlignedData] {
  const hasMs = spec.series.some((s) => s.axis === 'ms');
  // A short run fits in one or two seconds: a line needs two points, so show the points themselves.
  const fewSeconds = spec.x.length <= 2;
  const first = spec.x[0] ?? 0;
  const last = spec.x[spec.x.length - 1] ?? 0;
  const options: UPlot.Options = {
    title: spec.title,
    width,
    height: CHART_HEIGHT_PX,
    scales: { x: { time: false, range: [Math.min(0, first), Math.max(first + 1, last)] }, count: { range: zeroBasedRange }, ms: { range: zeroBasedRange } },
    axes: [
      { label: 'second of the run', incrs: SECOND_INCREMENTS },
      { scale: 'count', label: 'per second', size: 60 },
      ...(hasMs ? [{ scale: 'ms', side: 1 as const, label: 'ms', size: 60, grid: { show: false } }] : []),
    ],
    series: [{ label: 'second' }, ...spec.series.map((s) => lineSeries(s, s.axis === 'ms' ? 'ms' : 'count', fewSeconds))],
  };
  return [options, [spec.x, ...spec.series.map((s) => s.values)]];
}

function stackedBarOptions(spec: StackedBarChart, width: number): [UPlot.Options, UPlot.AlignedData] {
  const indices = spec.categories.map((_, i) => i);
  const bars = uPlot.paths.bars!({ size: [0.6, 90], align: 0 });
  // uPlot has no stacking: each layer is a bar up to its running sum, drawn from the top layer down.
  const drawOrder = [...spec.layers].reverse();
  const options: UPlot.Options = {
    title: spec.title,
    width,
    height: CHART_HEIGHT_PX,
    scales: { x: { time: false, range: [-0.5, Math.max(0, spec.categories.length - 1) + 0.5] }, y: { range: zeroBasedRange } },
    axes: [
      {
        splits: () => indices,
        values: (_u, splits) => splits.map((i) => spec.categories[i] ?? ''),
        grid: { show: false },
        ...(spec.categories.length > 8 ? { rotate: -45, size: 70 } : {}),
      },
      { label: spec.unit, size: 60 },
    ],
    series: [
      { label: spec.categoryName, value: (_u, v) => (v === null || v === undefined ? '' : (spec.categories[v] ?? '')) },
      ...drawOrder.map(
        (layer): UPlot.Series => ({
          label: layer.label,
          fill: color(layer.colorIndex),
          stroke: color(layer.colorIndex),
          paths: bars,
          points: { show: false },
          value: (_u, _v, _s, idx) => (idx === null ? '-' : formatNumber(layer.values[idx] ?? 0)),
        }),
      ),
    ],
  };
  return [options, [indices, ...drawOrder.map((layer) => layer.tops)]];
}

function rateOptions(spec: RateChart, width: number): [UPlot.Options, UPlot.AlignedData] {
  const first = spec.x[0] ?? 1;
  const last = spec.x[spec.x.length - 1] ?? first;
  const options: UPlot.Options = {
    title: spec.title,
    width,
    height: CHART_HEIGHT_PX,
    scales: {
      x: spec.logX === false ? { time: false, range: [first - 1, last + 1] } : { time: false, distr: 3, log: 2, range: [first / 1.25, last * 1.25] },
      y: spec.logY ? { distr: 3, log: 10, range: logRange } : { range: zeroBasedRange },
    },
    axes: [
      {
        label: spec.xLabel ?? 'users arriving per second (log scale)',
        splits: () => spec.ticks,
        values: (_u, splits) => splits.map((v) => (v === null ? '' : String(v))),
      },
      { label: spec.yLabel, size: 60, values: (_u, splits) => splits.map((v) => (v === null ? '' : formatNumber(v))) },
    ],
    // Each step is a point; the dashed SLO limit is a plain line.
    series: [{ label: spec.xLabel ?? 'users/s' }, ...spec.series.map((s) => ({ ...lineSeries(s, undefined, s.dashed !== true), spanGaps: true }))],
  };
  return [options, [spec.x, ...spec.series.map((s) => s.values)]];
}

function optionsFor(spec: ChartSpec, width: number): [UPlot.Options, UPlot.AlignedData] {
  switch (spec.kind) {
    case 'spectrum':
      return spectrumOptions(spec, width);
    case 'timeline':
      return timelineOptions(spec, width);
    case 'stacked-bars':
      return stackedBarOptions(spec, width);
    case 'rate':
      return rateOptions(spec, width);
  }
}

function drawCharts(): void {
  const dataElement = document.getElementById('chart-data');
  const specs = JSON.parse(dataElement?.textContent ?? '[]') as ChartSpec[];
  const drawn: Array<{ plot: UPlot; element: HTMLElement }> = [];
  for (const spec of specs) {
    const element = document.querySelector<HTMLElement>(`[data-chart="${CSS.escape(spec.id)}"]`);
    if (element === null) continue;
    try {
      const [options, data] = optionsFor(spec, element.clientWidth || 600);
      drawn.push({ plot: new uPlot(options, data, element), element });
    } catch (error) {
      element.textContent = `This chart could not be drawn: ${String(error)}`;
      console.error(`chart ${spec.id}:`, error);
    }
  }
  window.addEventListener('resize', () => {
    for (const { plot, element } of drawn) plot.setSize({ width: element.clientWidth || 600, height: CHART_HEIGHT_PX });
  });
}

drawCharts();
