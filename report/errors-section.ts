// Where the failed users failed, and what nginx itself logged: so a run whose limit was nginx's or
// the client's says so next to the figures it shaped.
import { ERROR_ORIGIN_MEANING, ERROR_ORIGINS, type ErrorOrigin } from '../common/error-origin.js';
import type { VariantResult } from '../common/result.js';
import type { Column } from './columns.js';
import { formatErrorClasses, MISSING } from './format.js';
import { markdownTable } from './markdown-table.js';
import type { RunInfo } from './run-info.js';

/** Failed users by origin; results written before origins were recorded show their classes. */
export function originCounts(r: VariantResult): Record<string, number> {
  return r.errorOrigins ?? r.errors;
}

export function errorsByOriginSection(results: readonly VariantResult[]): string[] {
  const failed = results.filter((r) => r.users.failed > 0);
  if (failed.length === 0) return [];
  const present = ERROR_ORIGINS.filter((origin) => failed.some((r) => (r.errorOrigins?.[origin] ?? 0) > 0));
  const columns: Column<VariantResult>[] = [
    { header: 'variant', align: 'left', cell: (r) => r.variant },
    { header: 'failed', align: 'right', cell: (r) => `${r.users.failed}/${r.users.scheduled}` },
    ...present.map(
      (origin): Column<VariantResult> => ({
        header: origin,
        align: 'right',
        cell: (r) => (r.errorOrigins === undefined ? MISSING : String(r.errorOrigins[origin] ?? 0)),
      }),
    ),
    { header: 'by class', align: 'left', cell: (r) => formatErrorClasses(r.errors) },
  ];
  return [
    '## Errors by origin',
    'Each failed user counted once, where it failed:',
    present.map((origin: ErrorOrigin) => `- *${origin}*: ${ERROR_ORIGIN_MEANING[origin]}`).join('\n'),
    markdownTable(columns, failed),
  ];
}

/** nginx's size for the run, and the limit events it logged per variant. */
export function nginxLimitsSection(run: RunInfo, results: readonly VariantResult[]): string[] {
  const limits = run.options['nginxLimits'] as { connections: number; backlog: number; backlogCappedAt?: number; source?: { connections: string } } | undefined;
  const withEvents = results.filter((r) => r.nginxEvents !== undefined);
  if (limits === undefined && withEvents.length === 0) return [];
  const sized =
    limits === undefined
      ? []
      : [
          `nginx had worker_connections ${limits.connections} per worker and a listen backlog of ${limits.backlog}` +
            `${limits.backlogCappedAt !== undefined ? ` (capped by net.core.somaxconn = ${limits.backlogCappedAt})` : ''}` +
            `${limits.source?.connections === 'option' ? ', as --nginx-connections set it' : ', sized from the load so that it never binds'}.`,
        ];
  const statuses = ['499', '502', '503', '504'];
  const columns: Column<VariantResult>[] = [
    { header: 'variant', align: 'left', cell: (r) => r.variant },
    { header: 'connection limit events', align: 'right', cell: (r) => String(r.nginxEvents!.connectionLimit) },
    {
      header: 'upstream errors',
      align: 'left',
      cell: (r) => formatErrorClasses(r.nginxEvents!.upstream),
    },
    ...statuses.map((status): Column<VariantResult> => ({ header: status, align: 'right', cell: (r) => String(r.nginxEvents!.status[status] ?? 0) })),
  ];
  return ["## nginx's own limits", ...sized, ...(withEvents.length > 0 ? [markdownTable(columns, withEvents)] : [])];
}
