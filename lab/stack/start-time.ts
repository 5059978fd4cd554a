// A common start time, so that several client processes or hosts run one schedule together.
import { setTimeout as sleep } from 'node:timers/promises';
import { optionError } from '../../common/errors.js';

/** How late a start time may already be when the client is ready: clocks and container starts differ a little. */
export const START_LATE_GRACE_MS = 5_000;
/** One day. */
const MAX_START_AHEAD_MS = 86_400_000;
// Below this an epoch number is seconds, not milliseconds (it would be in 1973).
const MIN_EPOCH_MS = 100_000_000_000;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function describe(ms: number): string {
  return new Date(ms).toISOString();
}

/** Epoch milliseconds of `--start-at` (ISO 8601 or epoch ms); undefined for an empty value, which means now. */
export function parseStartAt(text: string | undefined, nowMs: number, option = '--start-at'): number | undefined {
  const value = text?.trim() ?? '';
  if (value === '') return undefined;
  let startMs: number;
  if (/^\d+$/.test(value)) {
    startMs = Number(value);
    if (startMs < MIN_EPOCH_MS) throw optionError(option, `must be epoch milliseconds or ISO 8601; ${value} looks like seconds (got "${value}")`);
  } else if (ISO_DATE_TIME.test(value)) {
    startMs = Date.parse(value);
    if (Number.isNaN(startMs)) throw optionError(option, `is not a valid date and time (got "${value}")`);
  } else {
    throw optionError(option, `must be ISO 8601 like 2025-03-01T14:05:00Z or epoch milliseconds (got "${value}")`);
  }
  if (startMs > nowMs + MAX_START_AHEAD_MS) throw optionError(option, `is more than a day ahead (${describe(startMs)})`);
  assertNotLate(startMs, nowMs, option);
  return startMs;
}

/** A start time missed by more than the grace would leave this client's users out of step with the others. */
export function assertNotLate(startMs: number, nowMs: number, option = '--start-at'): void {
  const lateMs = nowMs - startMs;
  if (lateMs > START_LATE_GRACE_MS) {
    throw optionError(option, `is ${(lateMs / 1000).toFixed(1)} s in the past (${describe(startMs)}): give a later time, e.g. now + 60 s`);
  }
}

/** Sleeps until the wall clock reaches startMs; an abort ends the wait with the signal's reason. */
export async function waitUntil(startMs: number, signal: AbortSignal): Promise<void> {
  // Short steps, so a clock that is adjusted while waiting is followed.
  for (let leftMs = startMs - Date.now(); leftMs > 0; leftMs = startMs - Date.now()) {
    await sleep(Math.min(leftMs, 1_000), undefined, { signal });
  }
}
