// Number and label formatting shared by every summary, so each unit is rendered one way only.
import type { TimeSummary, VariantResult } from '../common/result.js';

/** Shown wherever a value cannot be computed (no users finished, zero duration, no database). */
export const MISSING = '–';

const MICROSECONDS_PER_SECOND = 1_000_000;
const MICROSECONDS_PER_MS = 1_000;
// Decimal megabytes, so the "MB" in column headers means exactly 10^6 bytes.
const BYTES_PER_MB = 1_000_000;

/** numerator ÷ denominator, or null when that would divide by zero or is not a finite number. */
/** A change (measured / reference − 1) as "+25%" or "−12%". */
export function signedPercent(change: number): string {
  return `${change >= 0 ? '+' : '−'}${Math.round(Math.abs(change) * 100)}%`;
}

export function ratio(numerator: number, denominator: number): number | null {
  if (denominator === 0 || !Number.isFinite(numerator) || !Number.isFinite(denominator)) return null;
  return numerator / denominator;
}

/** Fixed-point text without trailing fractional zeros: "27.650" -> "27.65", "0.00" -> "0". */
export function fixedTrimmed(value: number, maxDecimals: number): string {
  const fixed = value.toFixed(maxDecimals);
  if (!fixed.includes('.')) return fixed;
  return fixed.replace(/0+$/, '').replace(/\.$/, '');
}

/** Rounded number for machine-readable output; null stays null. */
export function rounded(value: number | null, decimals: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** The numeric time fields of a TimeSummary (all microseconds). */
export type TimeField = Exclude<keyof TimeSummary, 'histogram' | 'count'>;

/** A time summary only carries meaningful values when it counted something. */
export function hasTimes(summary: TimeSummary): boolean {
  return summary.count > 0;
}

export function secondsFromUs(us: number): number {
  return us / MICROSECONDS_PER_SECOND;
}

export function msFromUs(us: number): number {
  return us / MICROSECONDS_PER_MS;
}

/** Seconds with 3 decimals and an "s", as the original table printed them: "0.012s". */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return MISSING;
  return `${seconds.toFixed(3)}s`;
}

/** Milliseconds with about three significant digits for small values, whole numbers from 100 ms up. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return MISSING;
  const magnitude = Math.abs(ms);
  const decimals = magnitude < 1 ? 3 : magnitude < 10 ? 2 : magnitude < 100 ? 1 : 0;
  return ms.toFixed(decimals);
}

/** A user-time field in ms, or MISSING when the summary is empty. */
export function formatTimeField(summary: TimeSummary, field: TimeField): string {
  return hasTimes(summary) ? formatMs(msFromUs(summary[field])) : MISSING;
}

/** Percentage of part in whole with up to 2 decimals, trailing zeros trimmed: "0.6%", "0%", "27.65%". */
export function formatPercent(part: number, whole: number): string {
  const fraction = ratio(part, whole);
  if (fraction === null || part === 0) return '0%';
  const percent = fraction * 100;
  // A non-zero share that rounds to 0 would read as "no errors".
  if (percent > 0 && percent < 0.005) return '<0.01%';
  return `${fixedTrimmed(percent, 2)}%`;
}

export function formatMegabytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return MISSING;
  return (bytes / BYTES_PER_MB).toFixed(1);
}

/** Events per second with one decimal, or MISSING for a zero-length run. */
export function formatRate(count: number, durationSeconds: number): string {
  const perSecond = ratio(count, durationSeconds);
  return perSecond === null ? MISSING : perSecond.toFixed(1);
}

export function formatCpuSeconds(cpuSeconds: number | null): string {
  if (cpuSeconds === null || !Number.isFinite(cpuSeconds)) return MISSING;
  return cpuSeconds.toFixed(2);
}

/** App server CPU per user served; failed users count as cost, not as served. */
export function cpuMsPerOkUser(result: VariantResult): number | null {
  return result.server ? ratio(result.server.cpuSeconds * 1000, result.users.ok) : null;
}

/** Error classes, most frequent first, ties by name, so the order is stable between runs. */
export function errorClassCounts(errors: Record<string, number>): Array<[errorClass: string, users: number]> {
  return Object.entries(errors)
    .filter(([, users]) => users > 0)
    .sort(([nameA, usersA], [nameB, usersB]) => usersB - usersA || nameA.localeCompare(nameB));
}

/** "timeout:3, 502:1", or "0" when no user failed. */
export function formatErrorClasses(errors: Record<string, number>): string {
  const counts = errorClassCounts(errors);
  return counts.length === 0 ? '0' : counts.map(([errorClass, users]) => `${errorClass}:${users}`).join(', ');
}

/** "2025-03-01 14:05 UTC" from an ISO timestamp; anything unparsable is shown as given. */
export function formatUtcMinute(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
