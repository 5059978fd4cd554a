// The warm-up `run` and `capacity` share: uncounted users at a fixed rate, read second by second, until
// the app's CPU per user stops falling (JIT, pools, caches and nginx's upstream connections are warm),
// so the first measured second costs what the last one does.
import { runLoad, type LoadProgress } from '../client/load.js';
import { parseStages } from '../client/stages.js';
import type { LoadOptions } from '../client/load-options.js';
import { RUN_DEFAULTS } from '../common/defaults.js';
import { busiestShare } from '../common/worker-share.js';
import type { WarmUpReading, WarmUpRecord } from '../common/result.js';
import { treeCpuNs } from './stack/sampler.js';

export interface WarmUpSettings {
  /** Users per second in each round. */
  rate: number;
  /** At least this many users in all before the warm-up may end; 0 means no warm-up. */
  minUsers: number;
  /** The most one-second rounds it may take. */
  maxRounds: number;
  /** The most seconds of the continuous load after the rounds. */
  maxSlices: number;
  /** Done when the last RUN_DEFAULTS.warmupSteadyRounds rounds' CPU per user lie within this share of their lowest. */
  tolerance: number;
}

export const DEFAULT_WARM_UP: Omit<WarmUpSettings, 'minUsers'> = {
  rate: RUN_DEFAULTS.warmupRate,
  maxRounds: RUN_DEFAULTS.warmupMaxSeconds,
  maxSlices: RUN_DEFAULTS.warmupMaxSliceSeconds,
  tolerance: RUN_DEFAULTS.warmupTolerance,
};

const ROUND_SECONDS = 1;
/** The load reports progress about once a second; a shorter report (the one at its end) is no slice. */
const MIN_SLICE_SECONDS = 0.9;
/** A continuous second counts as kept up with at most this many seconds' arrivals in flight at its end, */
const QUEUE_SECONDS_ALLOWED = 0.1;
/** or this many users, whichever is more. */
const MIN_QUEUE_ALLOWED = 10;
/**
 * The continuous load ends unsettled once this many seconds' arrivals are in flight: it queued (a
 * slow FastCGI at 473 users/s held thousands in flight for its ten seconds, and the lab's client,
 * busy with them, starved the niced copy without a database until its start-up timed out).
 */
const QUEUE_SECONDS_ABANDONED = 1;

/**
 * The warm-up's rate for a measured load: the default, or the load's own peak arrival rate when
 * higher (at most RUN_DEFAULTS.warmupMaxRate, so that its rounds end in seconds). At 200 users/s one prefork worker or pool thread serves nearly
 * every request (nginx reuses its most recent upstream connection, piscina its first idle thread),
 * so a faster measurement spread its users over workers that had never run: cold, at twice the CPU
 * per user, they fell behind and the run queued for seconds (bench/README.md, "Warm-up").
 */
export function warmupRateFor(
  load: { users: number; rampSeconds: number; stages?: string | undefined; closed?: unknown },
  base = DEFAULT_WARM_UP.rate,
): number {
  if (load.closed !== undefined && load.closed !== null) return base;
  const rate = load.stages
    ? Math.max(...parseStages(load.stages).map((stage) => stage.targetRate))
    : load.rampSeconds > 0
      ? load.users / load.rampSeconds
      : RUN_DEFAULTS.warmupMaxRate;
  return Math.round(Math.min(RUN_DEFAULTS.warmupMaxRate, Math.max(base, rate)));
}

/**
 * Whether the last RUN_DEFAULTS.warmupSteadyRounds rounds' CPU per user lie within the tolerance
 * of their lowest. Two rounds were not enough: a cost still falling slowly (JIT tiers, several
 * processes or threads each warming on its share of the users) passed two rounds 10% apart and left
 * the measurement 20–45% above the steady cost (bench/README.md, "Warm-up").
 */
export function steadyAfter(cpuMsPerUser: readonly number[], tolerance: number): boolean {
  const rounds = RUN_DEFAULTS.warmupSteadyRounds;
  if (cpuMsPerUser.length < rounds) return false;
  const last = cpuMsPerUser.slice(-rounds);
  const lowest = Math.min(...last);
  return lowest > 0 && (Math.max(...last) - lowest) / lowest <= tolerance;
}

type Round = WarmUpRecord['rounds'][number];
type Slice = NonNullable<WarmUpRecord['slices']>[number];

/** One reading: `users` started, of them `failed`, and the app tree's CPU time (ns) per user served. */
function round(users: number, failed: number, ok: number, cpuNs: number): WarmUpReading {
  return { users, failed, cpuMsPerUser: ok > 0 ? Math.round(cpuNs / 1000 / ok) / 1000 : null };
}

const costsOf = (readings: readonly WarmUpReading[]) => readings.map((r) => r.cpuMsPerUser ?? 0);

/** "3.10, 2.05, –": readings' CPU per user as the log and the bench print them. */
export const costsText = (readings: readonly WarmUpReading[]) => readings.map((r) => r.cpuMsPerUser?.toFixed(2) ?? '–').join(', ');

/**
 * Whether the server kept up through these seconds: at most a tenth of a second's arrivals in flight
 * at the end of each. A queued server's cost per user is steady too (FastCGI held 2.6–3.1 ms per
 * user for four seconds, saturated, at three times its cost when keeping up), and a measurement
 * started from it began behind that queue.
 */
export function keptUp(slices: readonly Pick<Slice, 'inFlight'>[], rate: number): boolean {
  const most = Math.max(MIN_QUEUE_ALLOWED, rate * QUEUE_SECONDS_ALLOWED);
  return slices.every((slice) => slice.inFlight !== undefined && slice.inFlight <= most);
}

/** What the warm-up reads of the stack: the app's process, whose tree's CPU it samples. */
type WarmedStack = { app: { pid: number } };

/** A warmed stack: the warm-up's record, and the end of the load that may still keep it warm. */
export interface WarmStack {
  record: WarmUpRecord;
  /** Whether the warm-up's continuous load is still running (it settled or kept up, and `keepGoing` asked for it). */
  keptWarm: boolean;
  /** No more warm-up users start; resolves once those in flight have finished (never rejects: they are not counted). */
  release(): Promise<void>;
}

/**
 * Warms the stack up with uncounted users tagged `tag`, in two parts. First one-second rounds at
 * `settings.rate`, each drained before the next, until at least `minUsers` have run and the last
 * rounds agree: a cold server costs up to four times its steady CPU per user, and a continuous load
 * at the measured rate from cold queued without end (FastCGI at 400 users/s: 2200 users in flight
 * after 8 s), while each round's pause lets a queue drain. Then a continuous load at the same rate,
 * read in one-second slices, until the last slices agree: the measurement is a load that keeps
 * going, and rounds with pauses read dearer than slices of such a load (bench/README.md,
 * "Warm-up"). The slices are what each run's warm-up check sets beside the measurement.
 *
 * With `keepGoing`, a continuous load that settled, or that kept up through its last seconds without
 * settling, goes on until `release()` (at most
 * RUN_DEFAULTS.warmupKeepSeconds more): a pause of a second or two before the measurement put its
 * first seconds 14–27% above the steady cost, while a measurement started straight from the warm
 * load began within 10% (bench/README.md, "Warm-up").
 */
export async function warmUntilSteady(
  stack: WarmedStack,
  base: Pick<LoadOptions, 'target' | 'variant' | 'timeoutMs' | 'expectBackend' | 'checkOwnPost'>,
  settings: WarmUpSettings,
  tag: string,
  signal: AbortSignal,
  keepGoing = false,
): Promise<WarmStack> {
  const started = performance.now();
  if (settings.minUsers === 0) return { record: { rate: settings.rate, rounds: [], steady: false, seconds: 0 }, ...NOT_KEPT };
  const rounds = await roundsUntilSteady(stack, { ...base, runTag: tag }, settings, signal);
  const continuous = signal.aborted
    ? { slices: [], steady: false, queuedAttempts: [], ...NOT_KEPT }
    : await continuousUntilKeptUp(stack, { ...base, runTag: tag }, settings, keepGoing, signal);
  const record = {
    rate: settings.rate,
    rounds,
    slices: continuous.slices,
    ...queuedAttemptsOf(continuous),
    steady: continuous.steady,
    seconds: Math.round(performance.now() - started) / 1000,
  };
  return { record, keptWarm: continuous.keptWarm, release: continuous.release };
}

const NOT_KEPT = { keptWarm: false, release: () => Promise.resolve() } as const;

/** A lead-in: the warm-up's continuous part alone, and whether it ended for a queue. */
export interface LeadIn extends WarmStack {
  /** Users in flight when it ended because a second's arrivals were (the server did not keep up); absent otherwise. */
  queued?: number;
}

/**
 * The warm-up's continuous part alone, at `settings.rate`, on a stack that earlier loads warmed:
 * what leads into each of `capacity`'s steps, so that a step starts from the same running load a
 * `run` starts from, not from an idle server (a server slower than the rate works off a queue from
 * empty for seconds before the SLO breaks, so a step from idle held rates that a run below them did
 * not). A lead-in that settles goes on until released, as `run`'s does.
 */
export async function leadIn(stack: WarmedStack, base: WarmUpLoad, settings: WarmUpSettings, signal: AbortSignal): Promise<LeadIn> {
  const started = performance.now();
  const continuous = await continuousUntilKeptUp(stack, base, settings, true, signal);
  const record = {
    rate: settings.rate,
    rounds: [],
    slices: continuous.slices,
    ...queuedAttemptsOf(continuous),
    steady: continuous.steady,
    seconds: Math.round(performance.now() - started) / 1000,
  };
  return {
    record,
    keptWarm: continuous.keptWarm,
    release: continuous.release,
    ...(continuous.queued === undefined ? {} : { queued: continuous.queued }),
  };
}

export type WarmUpLoad = Pick<LoadOptions, 'target' | 'variant' | 'timeoutMs' | 'expectBackend' | 'checkOwnPost' | 'runTag'>;

/**
 * Drained one-second rounds until at least `minUsers` have run and the last rounds at the measured
 * rate agree. A measured rate above the base one (RUN_DEFAULTS.warmupRate) is reached in two steps:
 * rounds at the base rate until they agree, then rounds at the measured rate. Rounds started cold at
 * 473 users/s queued within themselves and agreed on a queued server's cost (FastCGI: 2.60, 2.48,
 * 2.46 ms per user, twice its warm cost), and the measurement that followed queued from its first
 * second; warm at the base rate first, the workers a faster load reaches warm up at the faster rate.
 */
async function roundsUntilSteady(stack: WarmedStack, base: WarmUpLoad, settings: WarmUpSettings, signal: AbortSignal): Promise<Round[]> {
  const rounds: Round[] = [];
  const rates = settings.rate > RUN_DEFAULTS.warmupRate ? [RUN_DEFAULTS.warmupRate, settings.rate] : [settings.rate];
  let users = 0;
  for (const rate of rates) {
    const atRate: Round[] = [];
    const usersPerRound = Math.max(1, Math.round(rate * ROUND_SECONDS));
    const last = rate === settings.rate;
    while (atRate.length < settings.maxRounds && !signal.aborted) {
      const cpuBefore = treeCpuNs(stack.app.pid);
      const result = await runLoad({ ...base, arrival: 'uniform', users: usersPerRound, rampSeconds: ROUND_SECONDS }, { signal });
      users += result.users.scheduled;
      const reading = { ...round(result.users.scheduled, result.users.failed, result.users.ok, treeCpuNs(stack.app.pid) - cpuBefore), rate };
      atRate.push(reading);
      rounds.push(reading);
      if ((!last || users >= settings.minUsers) && steadyAfter(costsOf(atRate), settings.tolerance)) break;
    }
  }
  return rounds;
}

/**
 * The most times the continuous load starts at the rate. One that queues ends, drains, and starts
 * again: near its capacity a server with several workers or threads on one core is bistable. A load
 * that starts behind spreads its requests over every worker at two to three times the CPU per user
 * and never catches up, while the same rate started again on the same warm server keeps up at its
 * steady cost. A measurement started after a continuous load that queued began behind and collapsed
 * in every such run; one that followed a load that kept up held (bench/README.md, "One answer per
 * question"). The warm-up's job is the steady state, so it tries for it again before giving up.
 */
export const CONTINUOUS_ATTEMPTS = 3;

type Continuous = Awaited<ReturnType<typeof slicesUntilSteady>> & { queuedAttempts: number[] };

/** The continuous load, started again after each attempt that queued (at most CONTINUOUS_ATTEMPTS in all). */
async function continuousUntilKeptUp(
  stack: WarmedStack,
  base: WarmUpLoad,
  settings: WarmUpSettings,
  keepGoing: boolean,
  signal: AbortSignal,
): Promise<Continuous> {
  const queuedAttempts: number[] = [];
  for (;;) {
    const attempt = await slicesUntilSteady(stack, base, settings, keepGoing, signal);
    if (attempt.queued === undefined || queuedAttempts.length + 1 >= CONTINUOUS_ATTEMPTS || signal.aborted) return { ...attempt, queuedAttempts };
    queuedAttempts.push(attempt.queued);
    // Its users finish before the next attempt starts, so that it starts from an empty server.
    await attempt.release();
  }
}

/** The record's note of earlier attempts that queued: absent when the first one did not. */
function queuedAttemptsOf(continuous: Continuous): { queuedAttempts?: number[] } {
  return continuous.queuedAttempts.length > 0 ? { queuedAttempts: continuous.queuedAttempts } : {};
}

/**
 * A continuous load at the rate, read second by second for at most `settings.maxSlices` seconds.
 * It ends once its last slices agree, or goes on (`keepGoing`) until released; one that never
 * settles ends after its seconds, or goes on too if its last seconds kept up (`keepGoing`), and ends
 * as soon as a second's arrivals are in flight.
 */
async function slicesUntilSteady(
  stack: WarmedStack,
  base: WarmUpLoad,
  settings: WarmUpSettings,
  keepGoing: boolean,
  signal: AbortSignal,
): Promise<{ slices: Slice[]; steady: boolean; keptWarm: boolean; release(): Promise<void>; queued?: number }> {
  const slices: Slice[] = [];
  const finish = new AbortController();
  let steady = false;
  /** Whether the load goes on until released: it settled, or it kept up through its last seconds without settling. */
  let handedOver = false;
  let queued: number | undefined;
  let settled = (): void => undefined;
  const settledNow = new Promise<void>((resolve) => (settled = resolve));
  let last = { atSeconds: 0, cpuNs: treeCpuNs(stack.app.pid), started: 0, ok: 0, failed: 0, workers: {} as Readonly<Record<string, number>> };
  const onProgress = (p: LoadProgress): void => {
    if (handedOver || finish.signal.aborted || p.elapsedSeconds - last.atSeconds < MIN_SLICE_SECONDS) return;
    const now = { atSeconds: p.elapsedSeconds, cpuNs: treeCpuNs(stack.app.pid), started: p.started, ok: p.ok, failed: p.failed, workers: p.workers ?? {} };
    const share = busiestShare(Object.entries(now.workers).map(([worker, responses]) => responses - (last.workers[worker] ?? 0)));
    slices.push({
      ...round(now.started - last.started, now.failed - last.failed, now.ok - last.ok, now.cpuNs - last.cpuNs),
      inFlight: p.inFlight,
      ...(share === null ? {} : { busiestShare: share }),
    });
    last = now;
    const lastKeptUp = keptUp(slices.slice(-RUN_DEFAULTS.warmupSteadyRounds), settings.rate);
    steady = steadyAfter(costsOf(slices), settings.tolerance) && lastKeptUp;
    const out = slices.length >= settings.maxSlices;
    // A second's arrivals in flight is a queue the load will not work off at this rate: it ends now.
    if (!steady && p.inFlight > settings.rate * QUEUE_SECONDS_ABANDONED) {
      queued = p.inFlight;
      finish.abort();
    } else if (keepGoing && (steady || (out && lastKeptUp))) {
      // Unsettled but keeping up, it still hands over running: one second's cost moves by 10-40% on a
      // shared host, so three seconds within 10% may not come in ten, and a drained warm-up put the
      // measurement's first seconds 15-40% above the load's last ones (bench/README.md, "Warm-up").
      handedOver = true;
      settled();
    } else if (steady || out) finish.abort();
  };
  const seconds = (settings.maxSlices + (keepGoing ? RUN_DEFAULTS.warmupKeepSeconds : 0)) * ROUND_SECONDS;
  const load = runLoad(
    { ...base, arrival: 'uniform', users: Math.max(1, Math.round(settings.rate * seconds)), rampSeconds: seconds },
    { signal, finish: finish.signal, onProgress },
  );
  const ended = load.then(
    () => undefined,
    () => undefined,
  );
  await Promise.race([settledNow, load]);
  const keptWarm = handedOver && !finish.signal.aborted;
  const release = () => {
    finish.abort();
    return ended;
  };
  return { slices: [...slices], steady, keptWarm, release, ...(queued === undefined ? {} : { queued }) };
}
