import type { ListenAddress } from './listen.js';
import type { VariantSpec } from './variants.js';

export interface ServeOptions {
  variant: VariantSpec;
  listen: ListenAddress;
  databaseUrl: string;
  /** Processes for the prefork model. */
  workers: number;
  /** worker_threads for the threaded model. */
  threads: number;
  /** Requests each of those threads serves at once (piscina's concurrentTasksPerWorker). */
  threadTasks: number;
  /** mysql2 pool connections per process (prefork) or per thread (threaded). */
  dbPool: number;
  /** listen(2) backlog. */
  backlog: number;
}
