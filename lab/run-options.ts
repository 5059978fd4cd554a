import os from 'node:os';
import { optionError } from '../common/errors.js';
import { RUN_DEFAULTS } from '../common/defaults.js';
import { arrivalModel, assertStagesAlone, type RawArrivalOptions } from './arrival-options.js';
import { oneOf, parseCpuList, parseInteger, parseSeconds } from '../common/option-parsers.js';
import { selectVariants } from './variant-selection.js';
import { loadManifest } from './manifest.js';
import { parseStages } from '../client/stages.js';
import { MAX_THREADS } from '../client/load-options.js';
import { defaultWorkers, type VariantSpec } from '../apps/variants.js';
import { parseDatabaseUrl } from '../common/database-url.js';
import { parseThresholds, type Threshold } from './thresholds.js';
import { checkFaults, parseFaults, type Fault } from './faults/kinds.js';
import { nginxLimitsFor, type NginxLimits } from './stack/nginx-limits.js';
import { parseSlo, sloText } from '../common/slo.js';
import { parseSweep, type Sweep, type SweepKnob } from './sweep.js';
import { expectedArrivals } from '../client/stages.js';

/** `run` takes the arrival options of `load`, all but --shard, which the lab sets itself. */
export interface RawRunOptions extends Omit<RawArrivalOptions, 'shard'> {
  variants?: string;
  manifest?: string;
  timeout?: string;
  arrival?: string;
  warmupUsers?: string;
  database?: string;
  privateDb?: boolean;
  workers?: string;
  threads?: string;
  threadTasks?: string;
  dbPool?: string;
  backlog?: string;
  appSocket?: string;
  upstreamKeepalive?: string;
  nginxWorkers?: string;
  nginxConnections?: string;
  nginxBacklog?: string;
  serverCpus?: string;
  clientCpus?: string;
  pin?: boolean;
  out?: string;
  label?: string;
  results?: string;
  json?: boolean;
  fault?: string;
  failOn?: string;
  quiet?: boolean;
  repeat?: string;
  clientProcs?: string;
  clientThreads?: string;
  maxLateness?: string;
  slo?: string;
  sweep?: string;
  onSaturation?: string;
}

export interface RunOptions {
  variants: VariantSpec[];
  users: number;
  rampSeconds: number;
  timeoutMs: number;
  arrival: 'uniform' | 'poisson';
  warmupUsers: number;
  /** undefined: try the local server, else start a private one. */
  databaseUrl: string | undefined;
  privateDatabase: boolean;
  workers: number;
  threads: number;
  /** Requests each thread of a threaded variant serves at once. */
  threadTasks: number;
  dbPool: number;
  backlog: number;
  /** How nginx reaches the app. */
  appSocket: 'tcp' | 'unix';
  /** Idle upstream connections per nginx worker; 0 = a new connection per request. */
  upstreamKeepalive: number;
  nginxWorkers: number;
  /** worker_connections and listen backlog: sized from the load unless --nginx-connections / --nginx-backlog set them. */
  nginxLimits: NginxLimits;
  /** taskset lists, or undefined when not pinned. */
  serverCpus: string | undefined;
  clientCpus: string | undefined;
  outDir: string | undefined;
  label: string;
  resultsDir: string;
  json: boolean;
  /** Faults injected into each variant's measured window (--fault). */
  faults?: Fault[];
  /** Limits from --fail-on; breaking one makes the run exit 99. */
  failOn: Threshold[];
  /** Rounds over all variants, each in a shuffled order. */
  repeat: number;
  /** Client processes sharing the measured load. */
  clientProcs: number;
  /** Event loops (worker threads) in each client process. */
  clientThreads: number;
  /** `--sweep KNOB=V1,V2,…`: each variant the knob applies to measured at each setting. */
  sweep?: Sweep | undefined;
  /** What every variant must hold (`--slo`), as given: the verdict names who served the most users within it. */
  slo: string;
  /** Lateness p99 above which the client is called saturated and the run invalid. */
  maxLatenessMs: number;
  /** Arrival-rate stages (the text of --stages), replacing users over a ramp. */
  stages: string | undefined;
  /** Cap on users in flight and what an arrival does at it. */
  maxActive: number | undefined;
  onSaturation: 'wait' | 'drop' | undefined;
  /** Closed model: the scenario with this many users at once for a duration, then a plain GET / peak. */
  closed: { connections: number; durationSeconds: number } | undefined;
  /** No progress or log lines: only errors and the results path. */
  quiet: boolean;
}

function cpuListText(cpus: number[]): string {
  return cpus.join(',');
}

/** Pins server and client apart by default when there are 2+ cores: the client takes the last one. */
function pinning(raw: RawRunOptions, cores: number): { server?: number[]; client?: number[] } {
  if (raw.pin === false) {
    if (raw.serverCpus || raw.clientCpus) throw optionError('--no-pin', 'cannot be combined with --server-cpus or --client-cpus');
    return {};
  }
  const server = raw.serverCpus ? parseCpuList('--server-cpus', raw.serverCpus, cores) : undefined;
  const client = raw.clientCpus ? parseCpuList('--client-cpus', raw.clientCpus, cores) : undefined;
  if (server && client && server.some((c) => client.includes(c))) {
    throw optionError('--client-cpus', `shares CPUs with --server-cpus (${raw.clientCpus} and ${raw.serverCpus})`);
  }
  if (server || client) {
    const all = [...Array(cores).keys()];
    return {
      server: server ?? all.filter((c) => !client!.includes(c)),
      client: client ?? all.filter((c) => !server!.includes(c)),
    };
  }
  if (cores < 2) return {};
  return { server: [...Array(cores - 1).keys()], client: [cores - 1] };
}

/** A knob that no selected variant uses is a mistake in the command line, not something to ignore. */
function refuseUnusedKnobs(raw: RawRunOptions, variants: VariantSpec[]): void {
  const models = new Set(variants.map((v) => v.model));
  if (raw.workers && !models.has('prefork')) throw optionError('--workers', 'applies to prefork variants, and none is selected');
  if (raw.threads && !models.has('threaded')) throw optionError('--threads', 'applies to threaded variants, and none is selected');
  if (raw.threadTasks && !models.has('threaded')) throw optionError('--thread-tasks', 'applies to threaded variants, and none is selected');
  if (raw.dbPool && variants.every((v) => v.command)) throw optionError('--db-pool', 'applies to the Node variants, and none is selected');
}

/** Stages are parsed now, so a typo stops the run before anything starts. */
function stagesOption(raw: RawRunOptions): string | undefined {
  assertStagesAlone(raw);
  if (raw.stages !== undefined) parseStages(raw.stages);
  return raw.stages;
}

function saturationOptions(raw: RawRunOptions): Pick<RunOptions, 'maxActive' | 'onSaturation'> {
  const maxActive = raw.maxActive !== undefined ? parseInteger('--max-active', raw.maxActive, 1, 1_000_000) : undefined;
  if (raw.onSaturation !== undefined && maxActive === undefined) throw optionError('--on-saturation', 'needs --max-active');
  const onSaturation =
    raw.onSaturation !== undefined ? oneOf('--on-saturation', raw.onSaturation, ['wait', 'drop'] as const) : maxActive !== undefined ? 'wait' : undefined;
  return { maxActive, onSaturation };
}

/** --sweep, checked against the variants and the knobs given beside it. */
function sweepOf(raw: RawRunOptions, variants: readonly VariantSpec[]): Sweep | undefined {
  if (raw.sweep === undefined) return undefined;
  const sweep = parseSweep(raw.sweep, variants);
  const given: Record<SweepKnob, string | undefined> = {
    workers: raw.workers,
    threads: raw.threads,
    'thread-tasks': raw.threadTasks,
    'db-pool': raw.dbPool,
    'nginx-workers': raw.nginxWorkers,
    'upstream-keepalive': raw.upstreamKeepalive,
  };
  if (given[sweep.knob] !== undefined) throw optionError('--sweep', `sets ${sweep.knob} itself: leave out --${sweep.knob}`);
  return sweep;
}

/** The most users a load may have in flight: every one when the server stalls, unless a cap or a closed pool bounds them. */
export function usersInFlightBound(o: Pick<RunOptions, 'users' | 'stages' | 'maxActive' | 'closed' | 'warmupUsers'>): number {
  if (o.closed) return o.closed.connections;
  const scheduled = o.stages ? Math.ceil(expectedArrivals(parseStages(o.stages), Number.POSITIVE_INFINITY)) : o.users;
  return Math.max(o.warmupUsers, Math.min(scheduled, o.maxActive ?? scheduled));
}

/** --nginx-connections and --nginx-backlog, or nginx sized for a load of `usersInFlight`. */
export function nginxLimitsOf(raw: Pick<RawRunOptions, 'nginxConnections' | 'nginxBacklog'>, usersInFlight: number): NginxLimits {
  return nginxLimitsFor(usersInFlight, {
    connections: raw.nginxConnections !== undefined ? parseInteger('--nginx-connections', raw.nginxConnections, 16, 1_000_000) : undefined,
    backlog: raw.nginxBacklog !== undefined ? parseInteger('--nginx-backlog', raw.nginxBacklog, 1, 1_000_000) : undefined,
  });
}

export function runOptionsFrom(raw: RawRunOptions, env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): RunOptions {
  const variants = selectVariants(raw.variants ?? RUN_DEFAULTS.variants, raw.manifest ? loadManifest(raw.manifest) : []);
  const pins = pinning(raw, cores);
  if (pins.client?.length === 0) throw optionError('--server-cpus', 'leaves no CPU for the client');
  if (pins.server?.length === 0) throw optionError('--client-cpus', 'leaves no CPU for the servers');
  const serverCores = pins.server?.length ?? cores;
  const databaseUrl = raw.database ?? env['DATABASE_URL'];
  if (databaseUrl !== undefined) parseDatabaseUrl(databaseUrl);
  if (raw.privateDb && raw.database) throw optionError('--private-db', 'cannot be combined with --database');
  refuseUnusedKnobs(raw, variants);
  const faults = raw.fault !== undefined ? parseFaults(raw.fault) : [];
  // A private server is the default: only a database given by URL is not one.
  const privateDatabase = raw.privateDb === true || databaseUrl === undefined;
  checkFaults(faults, { variants, privateDatabase });
  if (raw.quiet && raw.json) throw optionError('--quiet', 'cannot be combined with --json');
  if (raw.label !== undefined && !/^[\w.-]{1,80}$/.test(raw.label)) throw optionError('--label', `may hold only letters, digits, . _ - (got "${raw.label}")`);
  // By default the folder is named after what was asked for: a set's name, or the variants.
  const label =
    raw.label ??
    (raw.variants ?? RUN_DEFAULTS.variants)
      .replace(/[^\w.-]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 80);

  const options: Omit<RunOptions, 'nginxLimits'> = {
    variants,
    users: raw.users ? parseInteger('--users', raw.users, 1, 1_000_000) : RUN_DEFAULTS.users,
    rampSeconds: raw.ramp ? parseSeconds('--ramp', raw.ramp, 0, 3600) : RUN_DEFAULTS.rampSeconds,
    timeoutMs: raw.timeout ? parseInteger('--timeout', raw.timeout, 1, 600_000) : RUN_DEFAULTS.timeoutMs,
    arrival: raw.arrival ? oneOf('--arrival', raw.arrival, ['uniform', 'poisson'] as const) : RUN_DEFAULTS.arrival,
    warmupUsers: raw.warmupUsers !== undefined ? parseInteger('--warmup-users', raw.warmupUsers, 0, 100_000) : RUN_DEFAULTS.warmupUsers,
    databaseUrl: raw.privateDb ? undefined : databaseUrl,
    privateDatabase,
    workers: raw.workers ? parseInteger('--workers', raw.workers, 1, 256) : defaultWorkers(serverCores),
    threads: raw.threads ? parseInteger('--threads', raw.threads, 1, 256) : defaultWorkers(serverCores),
    threadTasks: raw.threadTasks ? parseInteger('--thread-tasks', raw.threadTasks, 1, 1000) : RUN_DEFAULTS.threadTasks,
    dbPool: raw.dbPool ? parseInteger('--db-pool', raw.dbPool, 1, 1000) : RUN_DEFAULTS.dbPool,
    backlog: raw.backlog ? parseInteger('--backlog', raw.backlog, 1, 65535) : RUN_DEFAULTS.backlog,
    appSocket: raw.appSocket ? oneOf('--app-socket', raw.appSocket, ['tcp', 'unix'] as const) : 'tcp',
    upstreamKeepalive:
      raw.upstreamKeepalive !== undefined ? parseInteger('--upstream-keepalive', raw.upstreamKeepalive, 0, 10_000) : RUN_DEFAULTS.upstreamKeepalive,
    nginxWorkers: raw.nginxWorkers ? parseInteger('--nginx-workers', raw.nginxWorkers, 1, 64) : RUN_DEFAULTS.nginxWorkers,
    serverCpus: pins.server ? cpuListText(pins.server) : undefined,
    clientCpus: pins.client ? cpuListText(pins.client) : undefined,
    outDir: raw.out,
    label,
    resultsDir: raw.results ?? RUN_DEFAULTS.resultsDir,
    json: raw.json === true,
    faults,
    failOn: raw.failOn !== undefined ? parseThresholds(raw.failOn) : [],
    quiet: raw.quiet === true,
    repeat: raw.repeat ? parseInteger('--repeat', raw.repeat, 1, 100) : RUN_DEFAULTS.repeat,
    // One client process per client CPU: each is single-threaded.
    clientProcs: raw.clientProcs ? parseInteger('--client-procs', raw.clientProcs, 1, 64) : (pins.client?.length ?? 1),
    clientThreads: raw.clientThreads ? parseInteger('--client-threads', raw.clientThreads, 1, MAX_THREADS) : RUN_DEFAULTS.clientThreads,
    stages: stagesOption(raw),
    ...saturationOptions(raw),
    closed: arrivalModel(raw, ['closed'] as const).closed,
    slo: sloText(parseSlo(raw.slo ?? RUN_DEFAULTS.slo)),
    sweep: sweepOf(raw, variants),
    maxLatenessMs: raw.maxLateness ? parseInteger('--max-lateness', raw.maxLateness, 1, 60_000) : RUN_DEFAULTS.maxLatenessMs,
  };
  return { ...options, nginxLimits: nginxLimitsOf(raw, usersInFlightBound(options)) };
}
