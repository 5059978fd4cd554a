// The capacity of each variant as tables: summary.md's "## Capacity" section and the terminal table.
import type { Column } from './columns.js';
import { capacityStep, firstFailingStep, type CapacityReport, type CapacityStep, type VariantCapacity } from './capacity-result.js';
import { fixedTrimmed, formatMs, MISSING } from './format.js';
import { markdownTable } from './markdown-table.js';
import { paintPadded } from './summary-table.js';
import { alignColumns, joinColumns } from './text-table.js';

export const CAPACITY_HOW_TO_READ =
  'Capacity is the highest arrival rate (users starting per second) at which a variant held the SLO in a step of its own, ' +
  'each step led into by a continuous load at its rate, as a run is by its warm-up; ' +
  'the rate doubled from the start rate while the SLO held, then was bisected between the last passing and the first failing rate, ' +
  'and the rate found was measured again (--confirm times): a rate counts only if it held every time. ' +
  '"≥" means even the highest rate tried passed; "(steps ran out)" that the search ended before the rate was bisected to within 10% or confirmed. ' +
  'A step also fails when a write was lost or doubled.';

function percent(value: number): string {
  return `${fixedTrimmed(value, 2)}%`;
}

/** "≥ 3200" when the ceiling passed, "none" when no rate held, "not measured" when it never ran. */
export function formatCapacity(v: VariantCapacity): string {
  if (v.searchEnd === 'not-measured') return 'not measured';
  if (v.capacity === null) return 'none';
  if (v.searchEnd === 'max-rate') return `≥ ${v.capacity}`;
  return v.searchEnd === 'steps' ? `${v.capacity} (steps ran out)` : String(v.capacity);
}

export function formatBroken(step: CapacityStep): string {
  return `${step.broken.join(', ')}${step.clientSaturated ? ' (client saturated)' : ''}`;
}

/** Why nothing failed above the capacity: it ran out of steps, or passed the highest rate. */
function noFailure(v: VariantCapacity): string {
  if (v.searchEnd === 'not-measured') return v.notMeasured ?? MISSING;
  return v.searchEnd === 'max-rate' ? 'none up to --max-rate' : MISSING;
}

const atCapacity = (v: VariantCapacity, cell: (s: CapacityStep) => string) => {
  const step = capacityStep(v);
  return step === null ? MISSING : cell(step);
};

export const capacityColumns: readonly Column<VariantCapacity>[] = [
  { header: 'variant', align: 'left', cell: (v) => v.variant },
  { header: 'capacity users/s', shortHeader: 'capacity/s', align: 'right', cell: formatCapacity },
  {
    header: 'served users/s',
    shortHeader: 'served/s',
    align: 'right',
    cell: (v) => atCapacity(v, (s) => (s.usersPerSecond === null ? MISSING : s.usersPerSecond.toFixed(1))),
  },
  { header: 'p99 ms', align: 'right', cell: (v) => atCapacity(v, (s) => formatMs(s.p99Ms)) },
  { header: 'errors', align: 'right', cell: (v) => atCapacity(v, (s) => percent(s.errorsPercent)) },
  { header: 'first failing users/s', shortHeader: 'fails at/s', align: 'right', cell: (v) => String(firstFailingStep(v)?.rate ?? MISSING) },
  {
    header: 'what broke',
    align: 'left',
    cell: (v) => {
      const f = firstFailingStep(v);
      return f === null ? noFailure(v) : formatBroken(f);
    },
  },
];

interface StepRow {
  variant: string;
  step: CapacityStep;
}

const stepColumns: readonly Column<StepRow>[] = [
  { header: 'variant', align: 'left', cell: (r) => r.variant },
  { header: 'rate users/s', align: 'right', cell: (r) => String(r.step.rate) },
  { header: 'served users/s', align: 'right', cell: (r) => (r.step.usersPerSecond === null ? MISSING : r.step.usersPerSecond.toFixed(1)) },
  { header: 'p50 ms', align: 'right', cell: (r) => formatMs(r.step.p50Ms) },
  { header: 'p99 ms', align: 'right', cell: (r) => formatMs(r.step.p99Ms) },
  { header: 'errors', align: 'right', cell: (r) => percent(r.step.errorsPercent) },
  { header: 'verdict', align: 'left', cell: (r) => (r.step.pass ? 'pass' : `FAIL: ${formatBroken(r.step)}`) },
];

function settingsLine(report: CapacityReport): string {
  // Older capacity.json files do not say how often the rate found was measured: nothing is claimed then.
  const confirmed = report.confirmations === undefined ? '' : `, the rate found measured ${1 + report.confirmations} times`;
  return `SLO: \`${report.slo}\`; rates from ${report.startRate} users/s up to ${report.maxRate}, ${report.stepSeconds} s per step, at most ${report.maxSteps} steps per variant${confirmed}.`;
}

/** summary.md's "## Capacity": the capacities, then every step in the order it ran. */
export function capacitySection(report: CapacityReport): string[] {
  const steps = report.variants.flatMap((v) => v.steps.map((step) => ({ variant: v.variant, step })));
  return [
    '## Capacity',
    `${settingsLine(report)} ${CAPACITY_HOW_TO_READ} The tables after this section show each variant's step at its capacity (or its lowest rate when none held).`,
    markdownTable(capacityColumns, report.variants),
    '### Capacity steps, in the order measured',
    steps.length === 0 ? 'No step was measured.' : markdownTable(stepColumns, steps),
  ];
}

/** The variant with the highest capacity, when at least two have one. */
function bestVariant(report: CapacityReport): VariantCapacity | null {
  const measured = report.variants.filter((v) => v.capacity !== null);
  if (measured.length < 2) return null;
  return measured.reduce((best, v) => (v.capacity! > best.capacity! ? v : best));
}

/** The terminal table at the end of `benchlab capacity`; colour only when asked. */
export function capacityTable(report: CapacityReport, options: { color: boolean }): string {
  const columns = capacityColumns;
  const rows = [columns.map((c) => c.shortHeader ?? c.header), ...report.variants.map((v) => columns.map((c) => c.cell(v)))];
  const [header = [], ...padded] = alignColumns(
    rows,
    columns.map((c) => c.align),
  );
  const best = bestVariant(report);
  const styled = padded.map((cells, r) => {
    const v = report.variants[r]!;
    return cells.map((cell, c) => {
      if (c === 1 && v === best) return paintPadded(cell, 'green', options.color);
      if (c === 1 && v.capacity === null) return paintPadded(cell, 'red', options.color);
      return cell;
    });
  });
  const lines = joinColumns([header.map((cell) => paintPadded(cell, 'bold', options.color)), ...styled]);
  return `SLO ${report.slo}\n${lines.join('\n')}\n`;
}
