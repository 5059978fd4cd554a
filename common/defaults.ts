// Every default of the lab in one place, with its unit.

export const RUN_DEFAULTS = {
  variants: 'design',
  users: 4000, // users in the measured window: 400 arriving per second, enough to set the three models apart on 2 cores
  rampSeconds: 10, // seconds over which they arrive (the original: 500 over 10 s per machine)
  timeoutMs: 10_000, // per request
  arrival: 'uniform' as const,
  warmupUsers: 2000, // the least the warm-up runs (uncounted; a threaded pool's cost still falls until about 2000 users): it goes on in rounds until the app's CPU per user settles; 0: none
  warmupRate: 200, // users per second in each one-second warm-up round, the original's rate
  warmupMaxRate: 1000, // a faster measured load is warmed up at this rate, so that its rounds end in seconds
  warmupMaxSeconds: 15, // the most one-second rounds the warm-up takes
  warmupMaxSliceSeconds: 10, // then the most seconds of continuous load, read second by second, until three seconds agree
  warmupKeepSeconds: 60, // the most a settled continuous warm-up load goes on, waiting for the measurement to start
  warmupSteadyRounds: 3, // rounds whose CPU per user must agree before the warm-up ends (two passed while the cost still fell)
  warmupTolerance: 0.1, // settled when the last warmupSteadyRounds rounds' CPU per user lie within this share of their lowest
  warmupRampSeconds: 0.5, // `load --warmup-users`: 200 arriving per second, over 0.5 s
  dbPool: 4, // mysql2 connections per worker process or thread
  threadTasks: 1, // requests a pool thread serves at once: one, as a thread-per-request server does
  backlog: 511, // listen(2) backlog, Node's default
  nginxWorkers: 1,
  upstreamKeepalive: 32, // idle connections nginx keeps per worker to the app
  startTimeoutMs: 30_000, // until a started service must answer
  maxLatenessMs: 5, // client lateness p99 that never flags a run; above it, only when over latenessShareOfP50 of the user-time p50
  latenessShareOfP50: 0.05, // lateness is inside every user time: it changes a conclusion only when it is a noticeable part of one
  repeat: 1, // rounds over all variants
  clientThreads: 1, // event loops per client process
  clientSelfWarmUsers: 2000, // uncounted users each measuring client's event loop runs against a stand-in in its own process before the start gate
  resultsDir: 'results',
  slo: 'errors<1%,p99<1s', // what a variant must hold: capacity's search, and run's verdict
};

/** `benchlab load` on its own: one of the original experiment's client machines. */
export const LOAD_DEFAULTS = {
  users: 500,
  rampSeconds: 10,
  timeoutMs: 30_000, // per request
  arrival: 'uniform' as const,
  seed: 1, // of the Poisson schedule
  checkOwnPost: true,
  warmupUsers: 0, // uncounted users before the schedule
  selfWarmUsers: 0, // uncounted users against a stand-in in the client's own process, before anything else
  threads: 1, // event loops sharing the users
};

/** --mode closed and the GET / peak. */
export const CLOSED_DEFAULTS = {
  connections: 50, // users (or connections) kept busy at once
  durationSeconds: 10,
};

export const SERVE_DEFAULTS = {
  dbPool: RUN_DEFAULTS.dbPool,
  threadTasks: RUN_DEFAULTS.threadTasks,
  backlog: RUN_DEFAULTS.backlog,
};

export const CAPACITY_DEFAULTS = {
  slo: RUN_DEFAULTS.slo, // what a variant must hold at a rate to sustain it
  startRate: 50, // users arriving per second in the first step
  maxRate: 3200, // the search never goes above this many users per second
  stepSeconds: 10, // users arrive for this long in each step: as long as a default run's ramp, which the capacity predicts
  maxSteps: 14, // measurements per variant: with the defaults, 50..800 doubling, bisecting to within 10%, then the rate found twice again
  confirmations: 2, // the rate found is measured this many times more, and counts only if it held every time
  precision: 0.1, // bisect until (failing - passing) / passing is below this
  timeoutFactor: 2, // per-request timeout: this × the SLO's slowest latency limit, so an overloaded step drains soon
  minTimeoutMs: 1000,
};
