// The warm-up `run` and `capacity` share: uncounted users in one-second rounds at a fixed rate until
// the app's CPU per user stops falling (JIT, pools, caches and nginx's upstream connections are warm),
// so the first measured second costs what the last one does.
import { runLoad } from '../client/load.js';
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
  /** Done when two consecutive rounds' CPU per user differ by at most this share. */
  tolerance: number;
}

export const DEFAULT_WARM_UP: Omit<WarmUpSettings, 'minUsers'> = {
  rate: RUN_DEFAULTS.warmupRate,
  maxRounds: RUN_DEFAULTS.warmupMaxSeconds,
  tolerance: RUN_DEFAULTS.warmupTolerance,
};

const ROUND_SECONDS = 1;

/** Whether the last two rounds' CPU per user agree within the tolerance. */
export function steadyAfter(cpuMsPerUser: readonly number[], tolerance: number): boolean {
  if (cpuMsPerUser.length < 2) return false;
  const last = cpuMsPerUser.at(-1)!;
  const before = cpuMsPerUser.at(-2)!;
  return last > 0 && Math.abs(last - before) / last <= tolerance;
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
