// The warm-up `run` and `capacity` share: uncounted users in one-second rounds at a fixed rate until
// the app's CPU per user stops falling (JIT, pools, caches and nginx's upstream connections are warm),
// so the first measured second costs what the last one does.
import { runLoad } from '../client/load.js';
import { parseStages } from '../client/stages.js';
import type { LoadOptions } from '../client/load-options.js';
import { RUN_DEFAULTS } from '../common/defaults.js';
import type { WarmUpRecord } from '../common/result.js';
import { startSampler } from './stack/sampler.js';
import type { VariantStack } from './stack/variant-stack.js';

export interface WarmUpSettings {
  /** Users per second in each round. */
  rate: number;
  /** At least this many users in all before the warm-up may end; 0 means no warm-up. */
  minUsers: number;
  /** The most rounds (seconds) it may take. */
  maxRounds: number;
  /** Done when the last RUN_DEFAULTS.warmupSteadyRounds rounds' CPU per user lie within this share of their lowest. */
  tolerance: number;
}

export const DEFAULT_WARM_UP: Omit<WarmUpSettings, 'minUsers'> = {
  rate: RUN_DEFAULTS.warmupRate,
  maxRounds: RUN_DEFAULTS.warmupMaxSeconds,
  tolerance: RUN_DEFAULTS.warmupTolerance,
};

const ROUND_SECONDS = 1;

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

/**
 * Warms the stack up; `tagOf(k)` tags round k's posts. Each round is timed like a measurement:
 * rate users over one second, the app's process tree sampled meanwhile.
 */
export async function warmUntilSteady(
  stack: VariantStack,
  base: Pick<LoadOptions, 'target' | 'variant' | 'timeoutMs' | 'expectBackend' | 'checkOwnPost'>,
  settings: WarmUpSettings,
  tagOf: (round: number) => string,
  signal: AbortSignal,
): Promise<WarmUpRecord> {
  const rounds: WarmUpRecord['rounds'] = [];
  const started = performance.now();
  if (settings.minUsers === 0) return { rate: settings.rate, rounds, steady: false, seconds: 0 };
  const usersPerRound = Math.max(1, Math.round(settings.rate * ROUND_SECONDS));
  let users = 0;
  while (rounds.length < settings.maxRounds && !signal.aborted) {
    const sampler = startSampler({ server: () => [stack.app.pid] });
    const result = await runLoad({ ...base, arrival: 'uniform', users: usersPerRound, rampSeconds: ROUND_SECONDS, runTag: tagOf(rounds.length) }, { signal });
    const cpuSeconds = sampler.stop()['server']?.cpuSeconds ?? 0;
    users += result.users.scheduled;
    rounds.push({
      users: result.users.scheduled,
      failed: result.users.failed,
      cpuMsPerUser: result.users.ok > 0 ? Math.round((cpuSeconds * 1e6) / result.users.ok) / 1000 : null,
    });
    const costs = rounds.map((r) => r.cpuMsPerUser ?? 0);
    if (users >= settings.minUsers && steadyAfter(costs, settings.tolerance)) break;
  }
  const costs = rounds.map((r) => r.cpuMsPerUser ?? 0);
  return { rate: settings.rate, rounds, steady: steadyAfter(costs, settings.tolerance), seconds: Math.round(performance.now() - started) / 1000 };
}
