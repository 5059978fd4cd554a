// The machine's speed around each variant: when it moved between variants more than the differences
// a reader is about to compare, the comparison says so, and --repeat is the remedy.
import type { SpeedProbe, VariantResult } from '../common/result.js';
import type { Column } from './columns.js';
import { MISSING } from './format.js';
import { markdownTable } from './markdown-table.js';

/** Above this spread of one side's speed across a run's variants, the comparison carries a caveat. */
export const SPEED_SPREAD_NOTE = 0.1;

type Side = keyof SpeedProbe;

function speeds(results: readonly VariantResult[], side: Side): number[] {
  return results.flatMap((r) => [r.calibration?.before[side], r.calibration?.after[side]]).filter((v): v is number => typeof v === 'number' && v > 0);
}

/** (max − min) / min of one side's probes over the run, or null with fewer than two. */
export function speedSpread(results: readonly VariantResult[], side: Side): number | null {
  const all = speeds(results, side);
  if (all.length < 2) return null;
  return (Math.max(...all) - Math.min(...all)) / Math.min(...all);
}

export function calibrationCaveats(results: readonly VariantResult[]): string[] {
  if (results.length < 2) return [];
  return (['server', 'client'] as const).flatMap((side) => {
    const spread = speedSpread(results, side);
    return spread !== null && spread > SPEED_SPREAD_NOTE
      ? [
          `The machine's speed on the ${side} CPUs moved by ${Math.round(spread * 100)}% between variants (a shared host's other work): ` +
            'differences smaller than that may be the host; --repeat N runs the variants in shuffled rounds and shows which differences exceed the noise.',
        ]
      : [];
  });
}

const cell = (value: number | null | undefined) => (typeof value === 'number' ? value.toFixed(0) : MISSING);

export function calibrationSection(results: readonly VariantResult[]): string[] {
  const probed = results.filter((r) => r.calibration !== undefined);
  if (probed.length === 0) return [];
  const columns: Column<VariantResult>[] = [
    { header: 'variant', align: 'left', cell: (r) => r.variant },
    { header: 'server before', align: 'right', cell: (r) => cell(r.calibration!.before.server) },
    { header: 'server after', align: 'right', cell: (r) => cell(r.calibration!.after.server) },
    { header: 'client before', align: 'right', cell: (r) => cell(r.calibration!.before.client) },
    { header: 'client after', align: 'right', cell: (r) => cell(r.calibration!.after.client) },
  ];
  return [
    "## The machine's speed",
    'A fixed integer workload (millions of iterations per second) on the server CPUs and on the client CPUs, just before and just after each variant. ' +
      `A move of more than ${SPEED_SPREAD_NOTE * 100}% across the run is noted above the comparison.`,
    markdownTable(columns, probed),
  ];
}
