import type { RepetitionSummary } from './repetitions.js';
import type { TimeSplit } from './time-split.js';
import type { Integrity } from './integrity.js';
import type { NginxEvents } from './nginx-events.js';

// The result format that `benchlab load` writes and the report reads.
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
  /** The latest start of a user in this second, ms after its scheduled time; absent where none started. */
  latenessMaxMs?: number;
  /** The app's CPU in this second, ms (all its processes and threads), read by the lab; absent where it was not measured. */
  serverCpuMs?: number;
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
    /** The cap on users in flight, and what an arrival does when it is reached. */
    maxActive?: number;
    onSaturation?: 'wait' | 'drop';
    /** Closed model: a fixed number of users, each starting again when done, for a duration. */
    mode?: 'open' | 'closed';
    connections?: number;
    durationSeconds?: number;
  };
  users: {
    scheduled: number;
    ok: number;
    /** Users failed: with an error of their own, or dropped at the in-flight cap (class `dropped`). */
    failed: number;
    /** Users never started because the run was interrupted. ok + failed + notStarted = scheduled. */
    notStarted: number;
    /** Of failed, those dropped at the in-flight cap (`--on-saturation drop`). */
    dropped?: number;
    /** Users that waited for a free slot at the in-flight cap (their wait is in their times). */
    waited?: number;
    /** The most users in flight at once. */
    peakInFlight?: number;
  };
  /** Error class -> number of users that failed with it (a user fails once, with its first error). */
  errors: Record<string, number>;
  /** Where each failed user failed (common/error-origin.ts) -> users; adds up to users.failed. */
  errorOrigins?: Record<string, number>;
  sessionTimeUs: TimeSummary;
  stepTimeUs: Record<StepName, TimeSummary>;
  /** Per step from the actual send of the request (wrk2's service time); stepTimeUs runs from the intended start. */
  serviceTimeUs?: Record<StepName, TimeSummary>;
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
    /** Event loops added up here, when a process ran several (`benchlab load --threads`); else one per process. */
    eventLoops?: number;
    /**
     * CPUs those event loops could use at once (per process, its loops or the CPUs it may run on,
     * whichever is fewer), added up; what the saturation check divides the CPU time by. Without
     * it, one per event loop.
     */
    cpus?: number;
  };
  /** Whether the client kept up; when not, the figures describe the client's limits. */
  validity?: { valid: boolean; reasons: string[] };
  /** What the client was told about the run it measured (`--meta KEY=VALUE`), e.g. the containers' limits. */
  meta?: Record<string, string>;
  /** The run tags the posted markers carry (`bl:<tag>:<user>`): the measured users', and the uncounted warm-up's. */
  markerTags?: { measured: string[]; warmup: string[] };
}

export interface ResourceSummary {
  cpuSeconds: number;
  rssPeakBytes: number;
  rssMeanBytes: number;
  samples: number;
  processes: number;
}

/** One fault the lab injected (`benchlab run --fault`). */
export interface FaultRecord {
  kind: 'kill-worker' | 'restart-db' | 'reload-nginx' | 'stop-app';
  /** Seconds from the start of the measured window until the lab injected it. */
  atSeconds: number;
  /** What was done, to which process, and what came back. */
  detail: string;
}

export interface VariantResult extends LoadResult {
  integrity: Integrity;
  /** Faults injected during the measured window (`--fault`), in order. */
  faults?: FaultRecord[];
  /** --mode closed: plain GET / as fast as the variant answers, beside the scenario. */
  peak?: PeakResult;
  /** From nginx's access log: per step, nginx's time, the backend's part and the proxy's own. */
  timeSplit?: TimeSplit;
  /** nginx's own limit events during the measured window, from its logs. */
  nginxEvents?: NginxEvents;
  /** Whether the server side kept to its CPUs during the window, and what else used the client's. */
  isolation?: Isolation;
  /** With `--sweep`: which variant this is, its model, and the knob's setting it ran with. */
  sweep?: { variant: string; model: string; knob: string; value: number };
  /** The run's SLO (`--slo`) and whether this measurement held it; what broke it when not. */
  slo?: { text: string; held: boolean; breaks: string[] };
  /** The warm-up before this measurement: rounds until the app's CPU per user settled. */
  warmup?: WarmUpRecord;
  /** The machine's speed (millions of fixed integer iterations per second) on each side, just before and just after the variant ran. */
  calibration?: { before: SpeedProbe; after: SpeedProbe };
  /** With `--repeat N`: every repetition's key figures; this file holds the median-p99 repetition. */
  repetitions?: RepetitionSummary;
  /** CPU and memory during the measured window; null where nothing was sampled (a plain `load`, a merge without `--resources`). */
  server: ResourceSummary | null;
  nginx: ResourceSummary | null;
  database: ResourceSummary | null;
  setup: {
    /** Milliseconds from starting the variant until it answered /healthz through nginx; null when the lab did not start it. */
    startMs: number | null;
    workers: number | null;
    /** The contract checked before measuring: passed, failed, or not checked at all (a plain `load`, a merge). */
    contractCheck: 'pass' | 'fail' | 'not checked';
  };
}

/** An arrival-rate stage (`--stages`): the rate rises or falls linearly to targetRate over durationSeconds. */
export interface Stage {
  durationSeconds: number;
  /** Users per second reached at the end of the stage. */
  targetRate: number;
}

/** `--mode peak`: plain GET / as fast as the target answers. */
export interface PeakResult {
  target: string;
  /** What sent the requests: the lab's own kept-alive connections, or (in results of earlier versions) autocannon. */
  tool: 'benchlab' | 'autocannon';
  connections: number;
  /** Uncounted, before the measured run. */
  warmupSeconds?: number;
  /** The measured run's start and end (ISO 8601), to line it up with what the server did meanwhile. */
  startedAt?: string;
  finishedAt?: string;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  /** The client's own cost over the measured run: a client near one core's worth measures itself. */
  client?: { cpuSeconds: number; wallSeconds: number };
}

/** One reading of the warm-up: users started, of them failed, and the app's CPU per user served (ms). */
export interface WarmUpReading {
  users: number;
  failed: number;
  cpuMsPerUser: number | null;
}

export interface WarmUpRecord {
  /** Users per second of the warm-up's load (its last rounds and its continuous seconds). */
  rate: number;
  /** Each one-second round's users, failed users and the app's CPU per user served (ms); the rounds are drained one by one. */
  rounds: Array<
    WarmUpReading & {
      /** Users per second of this round: the base rate's rounds come before a faster measured load's (absent in older results: `rate`). */
      rate?: number;
    }
  >;
  /** Then each second of a continuous load at the same rate, read the same way, with the users in flight at its end (absent in results from before it was added). */
  slices?: Array<
    WarmUpReading & {
      inFlight?: number;
      /** The share (0–1) of the second's responses that the busiest X-Worker served. */
      busiestShare?: number;
    }
  >;
  /**
   * Users in flight when each earlier continuous load ended for a queue: it drained and started
   * again, the slices above being the last attempt's (absent when the first attempt did not queue).
   */
  queuedAttempts?: number[];
  /** Whether the last three slices' CPU per user lay within 10% of their lowest, each with the server keeping up, before the continuous load's seconds ran out. */
  steady: boolean;
  seconds: number;
}

export interface SpeedProbe {
  server: number | null;
  client: number | null;
}

/** How the measured window kept the server side and the client apart. */
export interface Isolation {
  pinned: boolean;
  serverCpus: string | null;
  clientCpus: string | null;
  /** Server-side processes (app, nginx, a database on this machine) with a thread allowed on other CPUs; empty when confined. */
  strays: string[];
  /**
   * CPU the client CPUs spent on anything but the client during the window (the window less their
   * idle time in /proc/stat, minus the client's own), and what of it was the lab's own process (its sampling, logs and
   * progress; null where it was not measured, as in results written before it was).
   */
  clientCpusOthers: { cpuSeconds: number; percent: number; labSeconds?: number | null } | null;
  /**
   * CPU the server CPUs spent on anything but the server side (app, nginx, a database on this
   * machine) during the window: their busy time less the server side's own CPU, read per thread.
   * Absent in results written before it was measured.
   */
  serverCpusOthers?: { cpuSeconds: number; percent: number } | null;
  /** The processes outside the lab that used the most CPU during the window, on whichever CPUs they may use. */
  otherProcesses?: Array<{ name: string; pid: number; cpuSeconds: number; cpus: string | null }>;
}
