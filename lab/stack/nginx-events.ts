// Reads nginx's error and access logs of a measured window for its own limit events.
import type { NginxEvents } from '../../common/nginx-events.js';
import type { AccessLogEntry } from './nginx.js';

const UPSTREAM_KINDS: ReadonlyArray<[kind: string, pattern: RegExp]> = [
  ['connect failed', /connect\(\) (to \S+ )?failed/],
  ['closed early', /upstream prematurely closed/],
  ['timed out', /upstream timed out/],
  ['reset', /recv\(\) failed \(104: Connection reset by peer\) while reading response header from upstream/],
  ['no live upstreams', /no live upstreams/],
];
const WATCHED_STATUSES = [499, 502, 503, 504];

export function nginxEventsOf(errorLog: string, access: readonly AccessLogEntry[]): NginxEvents {
  const events: NginxEvents = { connectionLimit: 0, upstream: {}, status: {} };
  for (const line of errorLog.split('\n')) {
    if (line.includes('worker_connections are not enough')) {
      events.connectionLimit++;
      continue;
    }
    const kind = UPSTREAM_KINDS.find(([, pattern]) => pattern.test(line))?.[0];
    if (kind !== undefined) events.upstream[kind] = (events.upstream[kind] ?? 0) + 1;
  }
  for (const entry of access) {
    if (WATCHED_STATUSES.includes(entry.status)) events.status[String(entry.status)] = (events.status[String(entry.status)] ?? 0) + 1;
  }
  return events;
}

/** Whether nginx logged anything that limited the run. */
export function nginxLimited(events: NginxEvents): boolean {
  return events.connectionLimit > 0 || Object.values(events.upstream).some((n) => n > 0) || Object.values(events.status).some((n) => n > 0);
}
