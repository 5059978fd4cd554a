// summary.csv: one row per variant with raw numbers (ms, bytes, per second) for spreadsheets and scripts.
import type { StepName, TimeSummary, VariantResult } from '../common/result.js';
import { csvField, csvLine, type CsvValue } from './csv.js';
import { errorClassCounts, hasTimes, msFromUs, ratio, rounded, type TimeField } from './format.js';

interface CsvColumn {
  name: string;
  value: (r: VariantResult) => CsvValue;
  alwaysQuote?: boolean;
}

// Microsecond resolution is all the histograms carry, so ms keep 3 decimals.
const MS_DECIMALS = 3;
const RATE_DECIMALS = 3;

function timeMs(summary: TimeSummary, field: TimeField): number | null {
  return hasTimes(summary) ? rounded(msFromUs(summary[field]), MS_DECIMALS) : null;
}

function stepColumns(step: StepName): CsvColumn[] {
  return [
    { name: `${step}_p50_ms`, value: (r) => timeMs(r.stepTimeUs[step], 'p50') },
    { name: `${step}_p99_ms`, value: (r) => timeMs(r.stepTimeUs[step], 'p99') },
  ];
}

const CSV_COLUMNS: readonly CsvColumn[] = [
  { name: 'variant', value: (r) => r.variant },
  { name: 'scheduled', value: (r) => r.users.scheduled },
  { name: 'ok', value: (r) => r.users.ok },
  { name: 'failed', value: (r) => r.users.failed },
  { name: 'not_started', value: (r) => r.users.notStarted },
  { name: 'users_per_s', value: (r) => rounded(ratio(r.users.ok, r.durationSeconds), RATE_DECIMALS) },
  { name: 'req_per_s', value: (r) => rounded(ratio(r.requests.total, r.durationSeconds), RATE_DECIMALS) },
  { name: 'min_ms', value: (r) => timeMs(r.sessionTimeUs, 'min') },
  { name: 'mean_ms', value: (r) => timeMs(r.sessionTimeUs, 'mean') },
  { name: 'p50_ms', value: (r) => timeMs(r.sessionTimeUs, 'p50') },
  { name: 'p90_ms', value: (r) => timeMs(r.sessionTimeUs, 'p90') },
  { name: 'p99_ms', value: (r) => timeMs(r.sessionTimeUs, 'p99') },
  { name: 'p999_ms', value: (r) => timeMs(r.sessionTimeUs, 'p999') },
  { name: 'max_ms', value: (r) => timeMs(r.sessionTimeUs, 'max') },
  ...stepColumns('get'),
  ...stepColumns('post'),
  ...stepColumns('redirect'),
  {
    name: 'errors',
    value: (r) =>
      errorClassCounts(r.errors)
        .map(([errorClass, users]) => `${errorClass}=${users}`)
        .join(';'),
    alwaysQuote: true,
  },
  {
    name: 'error_origins',
    value: (r) =>
      errorClassCounts(r.errorOrigins ?? {})
        .map(([origin, users]) => `${origin}=${users}`)
        .join(';'),
    alwaysQuote: true,
  },
  { name: 'cpu_s', value: (r) => rounded(r.server?.cpuSeconds ?? null, 3) },
  { name: 'rss_peak_bytes', value: (r) => rounded(r.server?.rssPeakBytes ?? null, 0) },
  { name: 'rss_mean_bytes', value: (r) => rounded(r.server?.rssMeanBytes ?? null, 0) },
  { name: 'integrity_ok', value: (r) => r.integrity.ok },
  { name: 'rows', value: (r) => r.integrity.rows },
  { name: 'posts_accepted', value: (r) => r.integrity.postsAccepted },
];

export const SUMMARY_CSV_HEADER: readonly string[] = CSV_COLUMNS.map((column) => column.name);

/** Header plus one line per variant, each line ending in "\n"; empty values mean "not measurable". */
export function summaryCsv(results: readonly VariantResult[]): string {
  const header = csvLine(SUMMARY_CSV_HEADER.map((name) => csvField(name)));
  const rows = results.map((r) => csvLine(CSV_COLUMNS.map((column) => csvField(column.value(r), column.alwaysQuote))));
  return [header, ...rows].map((line) => `${line}\n`).join('');
}
