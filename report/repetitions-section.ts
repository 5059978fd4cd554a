import { RUN_DEFAULTS } from '../common/defaults.js';
import { START_SECONDS } from './warm-up-check.js';
import type { VariantResult } from '../common/result.js';
import { beyondNoise, type MetricSpread, type RepeatedMetric } from '../common/repetitions.js';
import { markdownTable } from './markdown-table.js';
import { MISSING, signedPercent } from './format.js';
import type { Column } from './columns.js';

function spread(s: MetricSpread | undefined, digits: number): string {
  if (!s || !Number.isFinite(s.median)) return MISSING;
  return `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
}

const metric = (r: VariantResult, name: RepeatedMetric) => r.repetitions?.metrics[name];

/** Versus the variant with the best median p99: is this one's p99 apart beyond the repetitions' noise? */
function noiseVerdict(r: VariantResult, best: VariantResult | undefined): string {
  const mine = metric(r, 'p99Ms');
  const theirs = best && metric(best, 'p99Ms');
  if (!mine || !theirs || !best) return MISSING;
  if (best === r) return 'best p99';
  return beyondNoise(mine, theirs) ? `slower than ${best.variant}` : `within noise of ${best.variant}`;
}

/**
 * Rounds whose client was saturated, whose audit failed, or whose measurement cost more than the
 * warm-up's tolerance away from where its warm-up settled or whose first seconds did from its own
 * last half: their figures are in the spread, and say so here.
 */
function flaggedRounds(r: VariantResult): string {
  const flagged = (r.repetitions?.rounds ?? []).flatMap((round, i) => {
    const offWarm = round.warmUpChange !== undefined && Math.abs(round.warmUpChange) > RUN_DEFAULTS.warmupTolerance;
    const offStart = round.startChange !== undefined && Math.abs(round.startChange) > RUN_DEFAULTS.warmupTolerance;
    const what = [
      ...(round.valid ? [] : ['INVALID']),
      ...(round.integrityOk === false ? ['integrity FAIL'] : []),
      ...(offWarm ? [`app CPU per user ${signedPercent(round.warmUpChange!)} from its warm-up`] : []),
      ...(offStart ? [`first ${START_SECONDS} s ${signedPercent(round.startChange!)} from its own last half`] : []),
    ];
    return what.length === 0 ? [] : [`round ${i + 1}: ${what.join(', ')}`];
  });
  return flagged.length === 0 ? 'none' : flagged.join('; ');
}

/** `--repeat N`: median [min–max] across repetitions, and which differences exceed the noise. */
export function repetitionsSection(results: readonly VariantResult[]): string[] {
  const repeated = results.filter((r) => r.repetitions && r.repetitions.count > 1);
  if (repeated.length === 0) return [];
  const best = [...repeated].sort((a, b) => metric(a, 'p99Ms')!.median - metric(b, 'p99Ms')!.median)[0];
  const columns: Column<VariantResult>[] = [
    { header: 'variant', align: 'left', cell: (r) => r.variant },
    { header: 'runs', align: 'right', cell: (r) => String(r.repetitions!.count) },
    { header: 'users/s', align: 'right', cell: (r) => spread(metric(r, 'usersPerSecond'), 1) },
    { header: 'p50 ms', align: 'right', cell: (r) => spread(metric(r, 'p50Ms'), 1) },
    { header: 'p99 ms', align: 'right', cell: (r) => spread(metric(r, 'p99Ms'), 1) },
    { header: 'errors %', align: 'right', cell: (r) => spread(metric(r, 'errorsPercent'), 2) },
    { header: 'CPU s', align: 'right', cell: (r) => spread(metric(r, 'cpuSeconds'), 2) },
    { header: 'p99 vs best', align: 'left', cell: (r) => noiseVerdict(r, best) },
    { header: 'flagged rounds', align: 'left', cell: (r) => flaggedRounds(r) },
  ];
  return [
    '## Repetitions',
    'Median [min–max] over the repetitions, run in a shuffled order each round. A difference counts only when the ranges do not overlap.',
    markdownTable(columns, repeated),
  ];
}
