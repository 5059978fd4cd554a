// Whether the measurement ran at the cost the warm-up settled at: the warm-up's last rounds' app CPU
// per user against the measured window's, when both ran at the same arrival rate. The warm-up
// claims the first measured second costs what the last one does; each run checks it.
import { RUN_DEFAULTS } from '../common/defaults.js';
import type { TimelineSecond, VariantResult } from '../common/result.js';
import { busiestShare } from '../common/worker-share.js';
import { cpuMsPerOkUser } from './format.js';

/** The warm-up's last readings that had to agree before it ended. */
const LAST_ROUNDS = RUN_DEFAULTS.warmupSteadyRounds;

export interface WarmUpGap {
  /** Mean app CPU per user of the warm-up's last rounds, ms. */
  warmMs: number;
  /** App CPU per user served in the measured window, ms. */
  measuredMs: number;
  /** measured / warm - 1. */
  change: number;
  /** The busiest worker's share of the responses (0–1) in the warm-up's last seconds and in the measured window, where both were counted. */
  spread?: { warm: number; measured: number };
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** The measured load's one arrival rate, users per second; undefined for stages, closed loads or no ramp. */
function measuredRate(r: VariantResult): number | undefined {
  const o = r.options;
  if (o.stages !== undefined || o.mode === 'closed' || !(o.rampSeconds > 0)) return undefined;
  return o.users / o.rampSeconds;
}

/**
 * The measured cost against the warm-up's, or undefined where they cannot be set side by side: no
 * warm-up rounds or CPU figures, or a warm-up at another rate than the measurement (a load faster
 * than the warm-up's cap, stages, a closed pool) whose cost per user may differ for that alone.
 */
export function warmUpGap(r: VariantResult): WarmUpGap | undefined {
  // The seconds of its continuous load; a result from before that part existed has its drained rounds only.
  const costs = (r.warmup?.slices ?? r.warmup?.rounds ?? []).slice(-LAST_ROUNDS).map((reading) => reading.cpuMsPerUser);
  const rate = measuredRate(r);
  const measuredMs = cpuMsPerOkUser(r);
  if (costs.length < LAST_ROUNDS || costs.some((cost) => cost === null) || rate === undefined || measuredMs === null) return undefined;
  if (Math.abs(rate - r.warmup!.rate) > 1) return undefined;
  const warmMs = mean(costs as number[]);
  if (!(warmMs > 0)) return undefined;
  // Only the continuous seconds count the workers.
  const warmShares = (r.warmup?.slices ?? []).slice(-LAST_ROUNDS).map((slice) => slice.busiestShare);
  const measuredShare = busiestShare(Object.values(r.workers ?? {}));
  const spread =
    warmShares.length === LAST_ROUNDS && warmShares.every((share) => share !== undefined) && measuredShare !== null
      ? { warm: mean(warmShares as number[]), measured: measuredShare }
      : undefined;
  return { warmMs, measuredMs, change: measuredMs / warmMs - 1, ...(spread ? { spread } : {}) };
}

/** The measured seconds set against the rest of the run: long enough to hold a few hundred users, short enough to show a cold start. */
export const START_SECONDS = 3;

export interface MeasuredStart {
  /** App CPU per user completed in the measurement's first START_SECONDS seconds, ms. */
  startMs: number;
  /** The same over the last half of its arrival seconds, ms. */
  steadyMs: number;
  /** start / steady - 1. */
  change: number;
}

/**
 * The measurement's first seconds against its own last half, from the app's CPU second by second
 * (`timeline[].serverCpuMs`) and the users completed in those seconds: whether the measured window
 * began at the cost it went on at, which is what the warm-up is for. Unlike the comparison with the
 * warm-up's last seconds, both figures come from the same load, so a spread of the users over the
 * workers that changed at the hand-off does not count against it unless it changed within the run.
 * Undefined where it cannot be read: stages or a closed pool (whose rate changes), fewer than twice
 * START_SECONDS arrival seconds, a second without its CPU figure (results from before it was read),
 * or no users completed.
 */
export function measuredStart(r: VariantResult): MeasuredStart | undefined {
  const rate = measuredRate(r);
  if (rate === undefined) return undefined;
  const seconds = Math.round(r.options.rampSeconds);
  if (seconds < 2 * START_SECONDS) return undefined;
  const window = r.timeline.filter((s) => s.second < seconds);
  if (window.length < seconds || window.some((s) => s.serverCpuMs === undefined)) return undefined;
  const costOf = (part: readonly TimelineSecond[]) => {
    const users = part.reduce((sum, s) => sum + s.completions, 0);
    return users > 0 ? part.reduce((sum, s) => sum + s.serverCpuMs!, 0) / users : undefined;
  };
  const startMs = costOf(window.slice(0, START_SECONDS));
  const steadyMs = costOf(window.slice(Math.ceil(seconds / 2)));
  if (startMs === undefined || steadyMs === undefined || !(steadyMs > 0)) return undefined;
  return { startMs, steadyMs, change: startMs / steadyMs - 1 };
}

/** A sentence per variant whose measurement started more than the warm-up's tolerance away from its own steady cost. */
export function measuredStartCaveats(results: readonly VariantResult[]): string[] {
  return results.flatMap((r) => {
    const start = measuredStart(r);
    if (start === undefined || Math.abs(start.change) <= RUN_DEFAULTS.warmupTolerance) return [];
    const queued = firstQueuedSecond(r);
    const why =
      queued !== undefined
        ? `the measurement queued (its second ${queued.second + 1} served ${queued.completions} of ${queued.arrivals} arriving users), and a queue changes the cost per user`
        : start.change > 0
          ? 'it had not reached its steady cost when measuring began'
          : 'its cost rose later in the run';
    return [
      `${r.variant}: the measurement's first ${START_SECONDS} s cost ${Math.round(Math.abs(start.change) * 100)}% ${start.change > 0 ? 'more' : 'less'} app CPU per user than its own last half (${start.startMs.toFixed(2)} against ${start.steadyMs.toFixed(2)} ms): ${why}; --repeat shows whether it holds.`,
    ];
  });
}

/** Busiest-worker shares this far apart (0–1) are a different spread of the load over the workers. */
const SPREAD_APART = 0.1;
/** A second whose completions fell this far short of its arrivals is a queue forming. */
const QUEUED_SHARE = 0.9;

/** The first second of the measured load in which the server fell behind its arrivals, if any. */
export function firstQueuedSecond(r: Pick<VariantResult, 'timeline'>): { second: number; arrivals: number; completions: number } | undefined {
  const second = r.timeline.find((s) => s.arrivals > 0 && s.completions < s.arrivals * QUEUED_SHARE);
  return second === undefined ? undefined : { second: second.second, arrivals: second.arrivals, completions: second.completions };
}

/**
 * A sentence per variant whose measurement cost more than the warm-up's tolerance away from where
 * it settled, with what the result itself shows of why: a warm-up that never settled, a queue in
 * the measured window, a load spread over the workers otherwise than in the warm-up, or none of them.
 */
export function warmUpCaveats(results: readonly VariantResult[]): string[] {
  return results.flatMap((r) => {
    const gap = warmUpGap(r);
    if (gap === undefined || Math.abs(gap.change) <= RUN_DEFAULTS.warmupTolerance) return [];
    const percent = Math.round(Math.abs(gap.change) * 100);
    const queued = firstQueuedSecond(r);
    const spread = gap.spread;
    const pct = (share: number) => `${Math.round(share * 100)}%`;
    const reasons = [
      ...(r.warmup?.steady === false ? ['the warm-up had not settled, so its last readings are no steady cost'] : []),
      ...(queued !== undefined
        ? [`the measurement queued (its second ${queued.second + 1} served ${queued.completions} of ${queued.arrivals} arriving users)`]
        : []),
      ...(spread !== undefined && Math.abs(spread.measured - spread.warm) >= SPREAD_APART
        ? [
            `its busiest worker served ${pct(spread.measured)} of the responses against ${pct(spread.warm)} in the warm-up's last seconds${
              // The usual direction: a load spread wider costs more per user, one more concentrated less.
              spread.measured < spread.warm === gap.change > 0 ? ' (one busy worker costs less per user than several)' : ''
            }`,
          ]
        : []),
    ];
    const alike =
      spread === undefined ? '' : ` and spread its users over the workers as the warm-up did (busiest ${pct(spread.measured)} against ${pct(spread.warm)})`;
    const why = reasons.length > 0 ? reasons.join('; ') : `the measurement did not queue${alike}, so the server's cost moved on its own`;
    return [
      `${r.variant}: the measurement cost ${percent}% ${gap.change > 0 ? 'more' : 'less'} app CPU per user than the warm-up settled at (${gap.warmMs.toFixed(2)} → ${gap.measuredMs.toFixed(2)} ms at the same rate): ` +
        `${why}; --repeat shows whether it holds.`,
    ];
  });
}

/** Each round's own warm-up check, kept with the rounds' verdicts: the summary shows the representative round's caveats only. */
export function withWarmUpChecks(result: VariantResult, runs: readonly VariantResult[]): VariantResult {
  const rounds = result.repetitions?.rounds;
  if (rounds === undefined) return result;
  const checked = rounds.map((round, i) => {
    const gap = runs[i] === undefined ? undefined : warmUpGap(runs[i]);
    const start = runs[i] === undefined ? undefined : measuredStart(runs[i]);
    return {
      ...round,
      ...(gap === undefined ? {} : { warmUpChange: Math.round(gap.change * 1000) / 1000 }),
      ...(start === undefined ? {} : { startChange: Math.round(start.change * 1000) / 1000 }),
    };
  });
  return { ...result, repetitions: { ...result.repetitions!, rounds: checked } };
}
