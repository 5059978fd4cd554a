import type { StepName, VariantResult } from '../common/result.js';
import { markdownTable } from './markdown-table.js';
import { MISSING } from './format.js';
import type { Column } from './columns.js';

const STEPS: StepName[] = ['get', 'post', 'redirect'];
const ms = (us: number | undefined) => (us === undefined ? MISSING : us / 1000 < 10 ? (us / 1000).toFixed(2) : (us / 1000).toFixed(0));

/** The app's peak memory over the most users it held at once: what one more concurrent user costs, at most. */
export function mbPerUserInFlight(r: VariantResult): string {
  const peak = r.users.peakInFlight;
  if (!peak || !r.server || r.server.rssPeakBytes <= 0) return MISSING;
  return (r.server.rssPeakBytes / 1e6 / peak).toFixed(2);
}

/** Response time (from the intended start) beside service time (from the actual send), as wrk2 reports both. */
export function serviceTimeSection(results: readonly VariantResult[]): string[] {
  const withService = results.filter((r) => r.serviceTimeUs);
  if (withService.length === 0) return [];
  const columns: Column<VariantResult>[] = [
    { header: 'variant', align: 'left', cell: (r) => r.variant },
    ...STEPS.flatMap((step): Column<VariantResult>[] => [
      { header: `${step} response p99`, align: 'right', cell: (r) => ms(r.stepTimeUs[step].p99) },
      { header: `${step} service p99`, align: 'right', cell: (r) => ms(r.serviceTimeUs?.[step].p99) },
    ]),
    { header: 'peak in flight', align: 'right', cell: (r) => String(r.users.peakInFlight ?? MISSING) },
    { header: 'app MB per user in flight', align: 'right', cell: (r) => mbPerUserInFlight(r) },
    { header: 'waited', align: 'right', cell: (r) => String(r.users.waited ?? 0) },
    { header: 'dropped', align: 'right', cell: (r) => String(r.users.dropped ?? 0) },
  ];
  return [
    '## Response and service time (ms)',
    "Response time runs from when a step was due (a user's scheduled start, or the end of its previous step), so it holds any wait; service time runs from when the request was sent. A large gap means requests queued in the client or waited for a slot (`--max-active`).",
    markdownTable(columns, withService),
  ];
}

/** --mode closed: the scenario with a fixed number of users, and plain GET / at its peak. */
export function closedModelSection(results: readonly VariantResult[]): string[] {
  const closed = results.filter((r) => r.peak);
  if (closed.length === 0) return [];
  const columns: Column<VariantResult>[] = [
    { header: 'variant', align: 'left', cell: (r) => r.variant },
    { header: 'users', align: 'right', cell: (r) => String(r.options.connections ?? MISSING) },
    { header: 'scenario users/s', align: 'right', cell: (r) => (r.durationSeconds > 0 ? (r.users.ok / r.durationSeconds).toFixed(1) : MISSING) },
    { header: 'scenario req/s', align: 'right', cell: (r) => (r.durationSeconds > 0 ? (r.requests.total / r.durationSeconds).toFixed(0) : MISSING) },
    { header: 'GET / peak req/s', align: 'right', cell: (r) => r.peak!.requestsPerSecond.toFixed(0) },
    { header: 'peak p50 ms', align: 'right', cell: (r) => String(r.peak!.latencyMs.p50) },
    { header: 'peak p99 ms', align: 'right', cell: (r) => String(r.peak!.latencyMs.p99) },
    { header: 'peak errors', align: 'right', cell: (r) => String(r.peak!.errors + r.peak!.non2xx) },
  ];
  return [
    '## Closed model',
    'A fixed number of users, each starting again when done, then plain `GET /` over as many kept-alive connections: peak throughput per variant.',
    markdownTable(columns, closed),
  ];
}
