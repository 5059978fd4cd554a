// nginx's own limits, sized from the load so that they never bind unless the user asks them to: a
// user in flight holds a client connection and an upstream one, and every connection is a file.
import fs from 'node:fs';

export interface NginxLimits {
  /** worker_connections: every worker may have to carry every connection alone. */
  connections: number;
  /** The listen backlog: connects that arrive between two accepts wait here. */
  backlog: number;
  /** What the kernel caps a backlog at (net.core.somaxconn), when it is below what was asked. */
  backlogCappedAt?: number;
  /** 'load' when sized from the load, 'option' when --nginx-connections / --nginx-backlog set them. */
  source: { connections: 'load' | 'option'; backlog: 'load' | 'option' };
}

/** Above what one user holds (client and upstream connection), for health checks, faults and the warm-up. */
const CONNECTION_MARGIN = 512;
const MIN_CONNECTIONS = 1024;
/** The number of connections nginx preallocates is this at most, about 256 MB of connection structures. */
const MAX_CONNECTIONS = 262_144;
/** nginx's own default backlog (and Node's). */
const MIN_BACKLOG = 511;
/** Files a worker needs beyond its connections: logs, temp files, the listening sockets. */
const RLIMIT_MARGIN = 256;

export const DEFAULT_NGINX_LIMITS: NginxLimits = {
  connections: 4096,
  backlog: MIN_BACKLOG,
  source: { connections: 'load', backlog: 'load' },
};

export function rlimitFor(connections: number): number {
  return connections + RLIMIT_MARGIN;
}

/** net.core.somaxconn, or undefined where it cannot be read. */
export function kernelBacklogCap(): number | undefined {
  try {
    const value = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Limits for a load that may have `usersInFlight` users at once (every scheduled user when the
 * server stalls, the cap when there is one, the pool in a closed model): two connections each,
 * and a margin; a backlog for a burst of as many connects, up to what the kernel allows.
 */
export function nginxLimitsFor(
  usersInFlight: number,
  chosen: { connections?: number | undefined; backlog?: number | undefined } = {},
  somaxconn = kernelBacklogCap(),
): NginxLimits {
  const sizedConnections = Math.min(MAX_CONNECTIONS, Math.max(MIN_CONNECTIONS, 2 * usersInFlight + CONNECTION_MARGIN));
  const wantedBacklog = chosen.backlog ?? Math.max(MIN_BACKLOG, usersInFlight);
  const backlog = somaxconn !== undefined ? Math.min(wantedBacklog, somaxconn) : wantedBacklog;
  return {
    connections: chosen.connections ?? sizedConnections,
    backlog,
    ...(backlog < wantedBacklog ? { backlogCappedAt: somaxconn } : {}),
    source: { connections: chosen.connections !== undefined ? 'option' : 'load', backlog: chosen.backlog !== undefined ? 'option' : 'load' },
  };
}
