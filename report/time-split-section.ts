import { MISSING } from './format.js';
import type { StepName, VariantResult } from '../common/result.js';
import { markdownTable } from './markdown-table.js';
import type { Column } from './columns.js';

const STEPS: StepName[] = ['get', 'post', 'redirect'];

interface SplitRow {
  result: VariantResult;
  step: StepName;
}

const ms = (value: number | undefined) => (value === undefined ? MISSING : value < 10 ? value.toFixed(1) : value.toFixed(0));

const columns: Column<SplitRow>[] = [
  { header: 'variant', align: 'left', cell: (r) => r.result.variant },
  { header: 'step', align: 'left', cell: (r) => r.step },
  { header: 'client p50', align: 'right', cell: (r) => ms(r.result.stepTimeUs[r.step].p50 / 1000) },
  { header: 'nginx p50', align: 'right', cell: (r) => ms(r.result.timeSplit?.[r.step]?.nginxP50Ms) },
  { header: 'backend p50', align: 'right', cell: (r) => ms(r.result.timeSplit?.[r.step]?.backendP50Ms) },
  { header: 'proxy p50', align: 'right', cell: (r) => ms(r.result.timeSplit?.[r.step]?.proxyP50Ms) },
  { header: 'client p99', align: 'right', cell: (r) => ms(r.result.stepTimeUs[r.step].p99 / 1000) },
  { header: 'nginx p99', align: 'right', cell: (r) => ms(r.result.timeSplit?.[r.step]?.nginxP99Ms) },
  { header: 'backend p99', align: 'right', cell: (r) => ms(r.result.timeSplit?.[r.step]?.backendP99Ms) },
  { header: 'proxy p99', align: 'right', cell: (r) => ms(r.result.timeSplit?.[r.step]?.proxyP99Ms) },
];

/** Per step: what the client saw, what nginx took, and the backend's share of it (ms). */
export function timeSplitSection(results: readonly VariantResult[]): string[] {
  const rows = results.filter((r) => r.timeSplit).flatMap((result) => STEPS.map((step) => ({ result, step })));
  if (rows.length === 0) return [];
  return [
    '## Where time goes (ms)',
    "From nginx's access log: *nginx* is `$request_time`, *backend* is `$upstream_response_time` (the app and the database), *proxy* is the difference (nginx itself). The client's figure also holds the network, the client and, for `get`, its lateness.",
    markdownTable(columns, rows),
  ];
}
