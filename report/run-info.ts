// The shape of run.json, declared here because the summaries print its environment.

export interface RunEnvironment {
  node: string;
  nginx: string;
  database: string;
  os: string;
  cpuModel: string;
  cores: number;
  /** null when the lab does not run from a git checkout. */
  gitCommit: string | null;
  /** CPU list the app server, nginx and database were pinned to (taskset syntax, e.g. "0-3"); null when not pinned. */
  serverCpus: string | null;
  /** CPU list the load client was pinned to; null when not pinned. */
  clientCpus: string | null;
  pinned: boolean;
  /** The database settings that change the outcome, one for every variant of the run. */
  databaseSettings?: DatabaseSettings;
}

export interface DatabaseSettings {
  /** local: a server on this machine the lab did not start; private: one it started; remote: elsewhere. */
  where: 'local' | 'private' | 'remote';
  version: string;
  /** 1 flushes the redo log to disk at every commit (an fsync per POST); 2 writes it to the OS at commit and flushes once a second. */
  innodbFlushLogAtTrxCommit: string | null;
  /** Whether the binary log is written, and how often it is synced. */
  logBin: string | null;
  syncBinlog: string | null;
  innodbBufferPoolBytes: number | null;
  maxConnections: number | null;
  /** Settings that differed between the start and the end of the run, if any did. */
  changedDuringRun?: string[];
}

export interface RunInfo {
  label: string;
  /** ISO 8601 timestamps. */
  startedAt: string;
  finishedAt: string;
  options: Record<string, unknown>;
  environment: RunEnvironment;
  /** Variant names in the order they ran. */
  variants: string[];
  /** Conformance per variant: whether it passed, and each finding that was not a pass. */
  verification?: Record<
    string,
    { passed: boolean; pass: number; warn: number; fail: number; problems: Array<{ id: string; status: 'warn' | 'fail'; line: string; detail: string }> }
  >;
  /** With --repeat: the order the variants ran in, round by round. */
  rounds?: string[][];
  /** Variants that were chosen but not measured, and why. */
  notMeasured?: Array<{ variant: string; reason: string }>;
}
