// capacity.json shaped into report.html's charts: p99 and errors against the arrival rate, a line per variant.
import type { LineSeries, RateChart } from './chart-spec.js';
import type { CapacityReport, CapacityStep } from './capacity-result.js';

/** Grey, the palette's neutral, for the SLO's own line. */
const LIMIT_COLOR = 7;

/** Every rate any variant measured, ascending, once. */
export function measuredRates(report: CapacityReport): number[] {
  return [...new Set(report.variants.flatMap((v) => v.steps.map((s) => s.rate)))].sort((a, b) => a - b);
}

function seriesOf(report: CapacityReport, rates: readonly number[], value: (s: CapacityStep) => number | null): LineSeries[] {
  // Colours follow the summary's rows: the measured variants, in order.
  return report.variants
    .filter((v) => v.steps.length > 0)
    .map((v, colorIndex) => ({
      label: v.variant,
      values: rates.map((rate) => {
        // A rate measured twice (the search's confirmation) shows its last measurement.
        const step = [...v.steps].reverse().find((s) => s.rate === rate);
        return step === undefined ? null : value(step);
      }),
      colorIndex,
    }));
}

/** The SLO's limit for this figure, e.g. 1000 for "p99<1s", from its text in capacity.json. */
export function sloLimit(slo: string, figure: 'p99' | 'errors'): number | undefined {
  const pattern = figure === 'errors' ? /(?:^|,)errors<(\d+(?:\.\d+)?)%/ : /(?:^|,)p99<(\d+(?:\.\d+)?)(ms|s)/;
  const match = pattern.exec(slo.replace(/\s+/g, ''));
  if (!match) return undefined;
  return figure === 'p99' && match[2] === 's' ? Number(match[1]) * 1000 : Number(match[1]);
}

function limitSeries(label: string, rates: readonly number[], limit: number | undefined): LineSeries[] {
  return limit === undefined || rates.length === 0 ? [] : [{ label, values: rates.map(() => limit), dashed: true, colorIndex: LIMIT_COLOR }];
}

/** The start rate doubled up to the highest rate measured: the search's own grid, for the axis labels. */
export function doublingTicks(report: CapacityReport, rates: readonly number[]): number[] {
  const highest = rates[rates.length - 1];
  if (highest === undefined) return [];
  const ticks: number[] = [];
  for (let rate = report.startRate; rate <= highest && ticks.length < 30; rate *= 2) ticks.push(rate);
  // A search that only went down from the start rate has its steps below the first tick.
  return rates[0]! < report.startRate ? [rates[0]!, ...ticks] : ticks;
}

export function capacityCharts(report: CapacityReport): RateChart[] {
  const rates = measuredRates(report);
  const ticks = doublingTicks(report, rates);
  return [
    {
      kind: 'rate',
      id: 'capacity-p99',
      title: 'p99 user time against the arrival rate',
      x: rates,
      ticks,
      series: [...seriesOf(report, rates, (s) => s.p99Ms), ...limitSeries('SLO limit', rates, sloLimit(report.slo, 'p99'))],
      yLabel: 'p99 ms (log scale)',
      logY: true,
    },
    {
      kind: 'rate',
      id: 'capacity-errors',
      title: 'Failed users against the arrival rate',
      x: rates,
      ticks,
      series: [...seriesOf(report, rates, (s) => s.errorsPercent), ...limitSeries('SLO limit', rates, sloLimit(report.slo, 'errors'))],
      yLabel: '% of users',
      logY: false,
    },
  ];
}
