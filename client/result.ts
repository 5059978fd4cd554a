import type { RepetitionSummary } from '../lab/repetitions.js';
import type { TimeSplit } from '../lab/time-split.js';
import type { Stage } from './stages.js';

// The result format that `benchlab load` writes and the report reads (DESIGN §6).
// All times are microseconds; every histogram is also shipped encoded so shards merge exactly.

export interface TimeSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** hdr-histogram-js `encodeIntoCompressedBase64` of the whole histogram. */
  histogram: string;
}

export type StepName = 'get' | 'post' | 'redirect';

export interface TimelineSecond {
  /** Seconds since the first scheduled arrival. */
  second: number;
  arrivals: number;
  completions: number;
  errors: number;
  /** Arrivals the schedule planned for this second, next to the achieved ones. */
  planned?: number;
}

export interface LoadResult {
  target: string;
  /** Label of what was measured (the variant name, or the target when run alone). */
  variant: string;
  startedAt: string;
  durationSeconds: number;
  options: {
    users: number;
    rampSeconds: number;
    timeoutMs: number;
    arrival: 'uniform' | 'poisson';
    /** Arrival-rate stages, when they set the schedule instead of users over a ramp. */
    stages?: Stage[];
  };
  users: {
    scheduled: number;
    ok: number;
    failed: number;
    /** Users whose start time never came (the run was interrupted). ok + failed + notStarted = scheduled. */
    notStarted: number;
  };
  /** Error class -> number of users that failed with it (a user fails once, with its first error). */
  errors: Record<string, number>;
  sessionTimeUs: TimeSummary;
  stepTimeUs: Record<StepName, TimeSummary>;
  /** How late the client started each user, actual minus scheduled start. */
  latenessUs: TimeSummary;
  requests: {
    total: number;
    /** HTTP status (or error class for requests without one) -> count. */
    byStatus: Record<string, number>;
  };
  posts: {
    /** POSTs answered 302. */
    accepted: number;
    /** POSTs sent whose answer never came (timeout, reset): the row may or may not exist. */
    indeterminate: number;
    /**
     * Accepted posts missing from the page after the redirect because 20 newer entries filled it;
     * their users still count as ok (the database audit catches lost writes).
     */
    pushedOut?: number;
    /** Body texts of the accepted posts' markers, to audit the table exactly. */
    acceptedMarkers: string[];
  };
  /** X-Backend value -> responses; X-Worker value -> responses. */
  backends: Record<string, number>;
  workers: Record<string, number>;
  timeline: TimelineSecond[];
  /** The client's own cost while it ran: a saturated client measures itself, not the server. */
  client?: {
    cpuSeconds: number;
    wallSeconds: number;
    eventLoopDelayP99Ms: number;
    eventLoopDelayMaxMs: number;
    /** Client processes added up here (1 unless shards were merged). */
    processes?: number;
  };
  /** Whether the client kept up; when not, the figures describe the client's limits. */
  validity?: { valid: boolean; reasons: string[] };
  /** What the client was told about the run it measured (`--meta KEY=VALUE`), e.g. the containers' limits. */
  meta?: Record<string, string>;
}

export interface ResourceSummary {
  cpuSeconds: number;
  rssPeakBytes: number;
  rssMeanBytes: number;
  samples: number;
  processes: number;
}

export interface VariantResult extends LoadResult {
  integrity: {
    postsAccepted: number;
    postsIndeterminate: number;
    rows: number;
    missing: number;
    duplicated: number;
    ok: boolean;
    /** false when no database was audited (client shards merged without one): rows and ok mean nothing then. */
    audited?: boolean;
  };
  /** From nginx's access log: per step, nginx's time, the backend's part and the proxy's own. */
  timeSplit?: TimeSplit;
  /** With `--repeat N`: every repetition's key figures; this file holds the median-p99 repetition. */
  repetitions?: RepetitionSummary;
  server: ResourceSummary;
  nginx: ResourceSummary;
  database: ResourceSummary | null;
  setup: {
    /** Milliseconds from starting the variant until it answered /healthz through nginx. */
    startMs: number;
    workers: number;
    contractCheck: 'pass' | 'fail';
  };
}
