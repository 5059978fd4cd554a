// Columns of the secondary tables (per step, setup and neighbours, the original), shared by every renderer.
import type { ResourceSummary, StepName, VariantResult, WarmUpRecord } from '../common/result.js';
import type { Column } from './columns.js';
import { variantColumn } from './columns.js';
import { formatCpuSeconds, formatMegabytes, formatTimeField, MISSING, signedPercent } from './format.js';
import type { PublishedUserTimes } from './original.js';
import { errorsFraction } from './user-times-block.js';
import { measuredStart, START_SECONDS, warmUpGap } from './warm-up-check.js';

const STEP_NAMES: readonly StepName[] = ['get', 'post', 'redirect'];
const STEP_FIELDS = ['p50', 'p99', 'max'] as const;

/** get/post/redirect × p50/p99/max in ms, then how late the client itself started users. */
export const stepColumns: readonly Column<VariantResult>[] = [
  variantColumn,
  ...STEP_NAMES.flatMap((step) =>
    STEP_FIELDS.map(
      (field): Column<VariantResult> => ({
        header: `${step} ${field}`,
        align: 'right',
        cell: (r) => formatTimeField(r.stepTimeUs[step], field),
      }),
    ),
  ),
  { header: 'client lateness p99', align: 'right', cell: (r) => formatTimeField(r.latenessUs, 'p99') },
  { header: 'client lateness max', align: 'right', cell: (r) => formatTimeField(r.latenessUs, 'max') },
];

function resourceColumns(name: string, pick: (r: VariantResult) => ResourceSummary | null): Column<VariantResult>[] {
  return [
    { header: `${name} CPU s`, align: 'right', cell: (r) => formatCpuSeconds(pick(r)?.cpuSeconds ?? null) },
    { header: `${name} peak RSS MB`, align: 'right', cell: (r) => formatMegabytes(pick(r)?.rssPeakBytes ?? null) },
    { header: `${name} mean RSS MB`, align: 'right', cell: (r) => formatMegabytes(pick(r)?.rssMeanBytes ?? null) },
  ];
}

/** "4 × 200" or, with rounds at the base rate before a faster load's, "6 × 200 + 5 × 473". */
export function roundsByRate(w: WarmUpRecord): string {
  const runs: Array<{ rate: number; count: number }> = [];
  for (const round of w.rounds) {
    const rate = round.rate ?? w.rate;
    const lastRun = runs.at(-1);
    if (lastRun !== undefined && lastRun.rate === rate) lastRun.count++;
    else runs.push({ rate, count: 1 });
  }
  return runs.map((run) => `${run.count} × ${run.rate}`).join(' + ');
}

/**
 * "4 × 200 users/s: 3.10 → 1.25, then 3 s: 1.10 CPU ms/user, measured 1.12 (+2%)": the warm-up's
 * drained rounds until the app's cost settled, its continuous seconds until that cost held (with the
 * attempt they belong to when earlier ones queued: "then 3 s (attempt 2, 1 queued)"), and the
 * measured window's cost against its last seconds' at the same rate; then the measurement's first
 * seconds against its own last half ("; first 3 s 1.14 against 1.12 (+2%)"). Without a warm-up:
 * "none; first 3 s 2.90 against 1.20 (+142%) CPU ms/user".
 */
function warmUpText(r: VariantResult): string {
  const w = r.warmup;
  const start = measuredStart(r);
  const ownStart = (lead: string) =>
    start === undefined
      ? ''
      : `${lead}first ${START_SECONDS} s ${start.startMs.toFixed(2)} against ${start.steadyMs.toFixed(2)} (${signedPercent(start.change)})`;
  // A cold measurement (no warm-up) still shows how its start compared with its own end.
  if (w === undefined || w.rounds.length === 0) return start === undefined ? MISSING : `none; ${ownStart('')} CPU ms/user`;
  const cost = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(2) : MISSING);
  const gap = warmUpGap(r);
  const measured = gap === undefined ? '' : `, measured ${gap.measuredMs.toFixed(2)} (${signedPercent(gap.change)})`;
  const queued = w.queuedAttempts?.length ?? 0;
  const attempt = queued === 0 ? '' : ` (attempt ${queued + 1}, ${queued} queued)`;
  const slices = w.slices === undefined ? '' : `, then ${w.slices.length} s${attempt}: ${cost(w.slices.at(-1)?.cpuMsPerUser)}`;
  return `${roundsByRate(w)} users/s: ${cost(w.rounds[0]?.cpuMsPerUser)} → ${cost(w.rounds.at(-1)?.cpuMsPerUser)}${slices} CPU ms/user${w.steady ? '' : ' (not settled)'}${measured}${ownStart('; ')}`;
}

/** How each variant started, then what nginx and the database cost while it ran. */
export const setupAndNeighbourColumns: readonly Column<VariantResult>[] = [
  variantColumn,
  { header: 'workers', align: 'right', cell: (r) => (r.setup.workers === null ? MISSING : String(r.setup.workers)) },
  { header: 'start ms', align: 'right', cell: (r) => (r.setup.startMs === null ? MISSING : String(Math.round(r.setup.startMs))) },
  { header: 'contract', align: 'left', cell: (r) => r.setup.contractCheck },
  { header: 'warm-up', align: 'left', cell: warmUpText },
  ...resourceColumns('nginx', (r) => r.nginx),
  ...resourceColumns('database', (r) => r.database),
];

/** The published figures keep their published two decimals. */
export const originalColumns: readonly Column<PublishedUserTimes>[] = [
  { header: 'server', align: 'left', cell: (o) => o.server },
  { header: 'min s', align: 'right', cell: (o) => o.minSeconds.toFixed(2) },
  { header: 'max s', align: 'right', cell: (o) => o.maxSeconds.toFixed(2) },
  { header: 'average s', align: 'right', cell: (o) => o.averageSeconds.toFixed(2) },
  { header: 'errors', align: 'left', cell: (o) => errorsFraction(o.failedUsers, o.users) },
];
