// `--sweep`: each variant at every setting of one knob, the best setting per variant and per model,
// so "prefork against threaded" compares each at its best on this machine.
import type { VariantResult } from '../common/result.js';
import { parseSlo, type Objective } from '../common/slo.js';
import { CAPACITY_DEFAULTS } from '../common/defaults.js';
import type { RateChart } from './chart-spec.js';
import type { Column } from './columns.js';
import { cpuMsPerOkUser, formatMs, formatTimeField } from './format.js';
import { markdownTable } from './markdown-table.js';
import type { RunInfo } from './run-info.js';
import { servedWithin } from './verdict.js';

type Swept = VariantResult & { sweep: NonNullable<VariantResult['sweep']> };

const swept = (results: readonly VariantResult[]): Swept[] => results.filter((r): r is Swept => r.sweep !== undefined);

function sloOf(run: RunInfo): Objective[] {
  return parseSlo(typeof run.options['slo'] === 'string' ? (run.options['slo'] as string) : CAPACITY_DEFAULTS.slo);
}

/** Better: more users served within the SLO, then the lower p99. */
function better(slo: readonly Objective[]) {
  return (a: VariantResult, b: VariantResult) => servedWithin(b, slo) - servedWithin(a, slo) || a.sessionTimeUs.p99 - b.sessionTimeUs.p99;
}

/** The best setting of each swept variant, and of each model over its variants. */
export function bestSettings(run: RunInfo, results: readonly VariantResult[]): { byVariant: Map<string, Swept>; byModel: Map<string, Swept> } {
  const slo = sloOf(run);
  const byVariant = new Map<string, Swept>();
  const byModel = new Map<string, Swept>();
  for (const r of [...swept(results)].sort(better(slo))) {
    if (!byVariant.has(r.sweep.variant)) byVariant.set(r.sweep.variant, r);
    if (!byModel.has(r.sweep.model)) byModel.set(r.sweep.model, r);
  }
  return { byVariant, byModel };
}

export function sweepSection(run: RunInfo, results: readonly VariantResult[]): string[] {
  const rows = swept(results);
  if (rows.length === 0) return [];
  const slo = sloOf(run);
  const { byVariant, byModel } = bestSettings(run, results);
  const knob = rows[0]!.sweep.knob;
  const columns: Column<Swept>[] = [
    { header: 'variant', align: 'left', cell: (r) => r.sweep.variant },
    { header: knob, align: 'right', cell: (r) => String(r.sweep.value) },
    { header: 'served within the SLO', align: 'right', cell: (r) => `${servedWithin(r, slo)}/${r.users.scheduled}` },
    { header: 'p99 ms', align: 'right', cell: (r) => formatTimeField(r.sessionTimeUs, 'p99') },
    { header: 'CPU ms/user', align: 'right', cell: (r) => formatMs(cpuMsPerOkUser(r)) },
    { header: 'best', align: 'left', cell: (r) => (byVariant.get(r.sweep.variant) === r ? 'best' : '') },
  ];
  const models = [...byModel.entries()].map(
    ([model, r]) =>
      `- ${model}: ${r.sweep.variant} with ${knob}=${r.sweep.value} (${servedWithin(r, slo)} of ${r.users.scheduled} users within the SLO, p99 ${formatTimeField(r.sessionTimeUs, 'p99')} ms)`,
  );
  return [
    `## Sweep of ${knob}`,
    `Each variant at each setting; the best serves the most users within the SLO (${run.options['slo'] ?? CAPACITY_DEFAULTS.slo}), then has the lowest p99.`,
    markdownTable(columns, rows),
    `Best ${knob} per model on this machine:\n${models.join('\n')}`,
  ];
}

/** report.html: users served within the SLO and p99 against the knob's value, a line per variant. */
export function sweepCharts(run: RunInfo, results: readonly VariantResult[]): RateChart[] {
  const rows = swept(results);
  if (rows.length === 0) return [];
  const slo = sloOf(run);
  const knob = rows[0]!.sweep.knob;
  const x = [...new Set(rows.map((r) => r.sweep.value))].sort((a, b) => a - b);
  const variants = [...new Set(rows.map((r) => r.sweep.variant))];
  const series = (value: (r: Swept) => number | null) =>
    variants.map((variant, colorIndex) => ({
      label: variant,
      values: x.map((v) => {
        const r = rows.find((row) => row.sweep.variant === variant && row.sweep.value === v);
        return r === undefined ? null : value(r);
      }),
      colorIndex,
    }));
  const base = { kind: 'rate' as const, x, ticks: x, xLabel: knob, logX: x[0]! > 0 };
  return [
    {
      ...base,
      id: 'sweep-served',
      title: `Users served within the SLO against ${knob}`,
      series: series((r) => servedWithin(r, slo)),
      yLabel: 'users',
      logY: false,
    },
    {
      ...base,
      id: 'sweep-p99',
      title: `p99 user time against ${knob}`,
      series: series((r) => (r.sessionTimeUs.count > 0 ? r.sessionTimeUs.p99 / 1000 : null)),
      yLabel: 'p99 ms (log scale)',
      logY: true,
    },
  ];
}
