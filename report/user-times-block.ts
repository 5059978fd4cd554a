// The four lines the original experiment printed per server, reproduced exactly so results compare by eye.
import type { VariantResult } from '../common/result.js';
import { formatPercent, formatSeconds, hasTimes, secondsFromUs } from './format.js';

export interface UserTimesSeconds {
  /** null when no user finished, so there is no time to show. */
  minSeconds: number | null;
  maxSeconds: number | null;
  averageSeconds: number | null;
  failedUsers: number;
  scheduledUsers: number;
}

export function userTimesOf(result: VariantResult): UserTimesSeconds {
  const times = result.sessionTimeUs;
  const known = hasTimes(times);
  return {
    minSeconds: known ? secondsFromUs(times.min) : null,
    maxSeconds: known ? secondsFromUs(times.max) : null,
    averageSeconds: known ? secondsFromUs(times.mean) : null,
    failedUsers: result.users.failed,
    scheduledUsers: result.users.scheduled,
  };
}

/** "3 / 500 (0.6%)": failed users out of scheduled users. */
export function errorsFraction(failedUsers: number, scheduledUsers: number): string {
  return `${failedUsers} / ${scheduledUsers} (${formatPercent(failedUsers, scheduledUsers)})`;
}

export function errorsLine(failedUsers: number, scheduledUsers: number): string {
  return `Errors: ${errorsFraction(failedUsers, scheduledUsers)}`;
}

/** "Min time: 0.012s", "Max time: …", "Average Time: …", "Errors: 3 / 500 (0.6%)". */
export function userTimesLines(times: UserTimesSeconds): [min: string, max: string, average: string, errors: string] {
  return [
    `Min time: ${formatSeconds(times.minSeconds)}`,
    `Max time: ${formatSeconds(times.maxSeconds)}`,
    `Average Time: ${formatSeconds(times.averageSeconds)}`,
    errorsLine(times.failedUsers, times.scheduledUsers),
  ];
}
