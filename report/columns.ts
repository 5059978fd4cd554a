// The comparison table's columns, defined once for both the markdown and the terminal table.
import type { VariantResult } from '../common/result.js';
import { integrityText } from '../common/integrity.js';
import { cpuMsPerOkUser, formatCpuSeconds, formatErrorClasses, formatMegabytes, formatMs, formatRate, formatTimeField, MISSING } from './format.js';

export type Align = 'left' | 'right';

export interface Column<Row> {
  header: string;
  /** Narrower header for the terminal table. */
  shortHeader?: string;
  align: Align;
  cell: (row: Row) => string;
}

export const variantColumn: Column<VariantResult> = { header: 'variant', align: 'left', cell: (r) => r.variant };
export const usersColumn: Column<VariantResult> = {
  header: 'users (ok/scheduled)',
  shortHeader: 'ok/users',
  align: 'right',
  cell: (r) => `${r.users.ok}/${r.users.scheduled}`,
};
export const usersPerSecondColumn: Column<VariantResult> = {
  header: 'users/s',
  align: 'right',
  cell: (r) => formatRate(r.users.ok, r.durationSeconds),
};
export const requestsPerSecondColumn: Column<VariantResult> = {
  header: 'req/s',
  align: 'right',
  cell: (r) => formatRate(r.requests.total, r.durationSeconds),
};
export const p50Column: Column<VariantResult> = { header: 'p50 ms', align: 'right', cell: (r) => formatTimeField(r.sessionTimeUs, 'p50') };
export const p90Column: Column<VariantResult> = { header: 'p90 ms', align: 'right', cell: (r) => formatTimeField(r.sessionTimeUs, 'p90') };
export const p99Column: Column<VariantResult> = { header: 'p99 ms', align: 'right', cell: (r) => formatTimeField(r.sessionTimeUs, 'p99') };
export const maxColumn: Column<VariantResult> = { header: 'max ms', align: 'right', cell: (r) => formatTimeField(r.sessionTimeUs, 'max') };
export const errorsColumn: Column<VariantResult> = {
  header: 'errors by origin',
  shortHeader: 'errors',
  align: 'left',
  cell: (r) => formatErrorClasses(r.errorOrigins ?? r.errors),
};
export const cpuSecondsColumn: Column<VariantResult> = {
  header: 'CPU s',
  align: 'right',
  cell: (r) => formatCpuSeconds(r.server?.cpuSeconds ?? null),
};
export const cpuMsPerUserColumn: Column<VariantResult> = {
  header: 'CPU ms/user',
  align: 'right',
  cell: (r) => formatMs(cpuMsPerOkUser(r)),
};
export const rssPeakColumn: Column<VariantResult> = {
  header: 'peak RSS MB',
  align: 'right',
  cell: (r) => formatMegabytes(r.server?.rssPeakBytes ?? null),
};
export const rssMeanColumn: Column<VariantResult> = {
  header: 'mean RSS MB',
  align: 'right',
  cell: (r) => formatMegabytes(r.server?.rssMeanBytes ?? null),
};
export const integrityColumn: Column<VariantResult> = { header: 'integrity', align: 'left', cell: (r) => integrityText(r.integrity, MISSING) };

/** Every column of the markdown comparison table, in order. */
export const comparisonColumns: readonly Column<VariantResult>[] = [
  variantColumn,
  usersColumn,
  usersPerSecondColumn,
  requestsPerSecondColumn,
  p50Column,
  p90Column,
  p99Column,
  maxColumn,
  errorsColumn,
  cpuSecondsColumn,
  cpuMsPerUserColumn,
  rssPeakColumn,
  rssMeanColumn,
  integrityColumn,
];

/** The terminal keeps the key columns but drops mean RSS so a row fits a wide terminal. */
export const terminalColumns: readonly Column<VariantResult>[] = comparisonColumns.filter((column) => column !== rssMeanColumn);
