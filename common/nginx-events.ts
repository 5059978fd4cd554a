// What nginx itself logged during a measured window: the events that say nginx, not the app, limited the run.

export interface NginxEvents {
  /** "worker_connections are not enough": nginx ran out of connections and dropped some. */
  connectionLimit: number;
  /** Upstream failures from the error log, by kind (connect failed, closed early, timed out, reset, no live upstreams). */
  upstream: Record<string, number>;
  /** Answers nginx logged with these statuses: 499 (the client gave up), 502, 503, 504. */
  status: Record<string, number>;
}
