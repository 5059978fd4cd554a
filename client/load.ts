// `benchlab load`: replays the classic experiment's user against a target under an open arrival model.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { arrivalSchedule } from './arrival-schedule.js';
import { stagedSchedule, type Stage } from './stages.js';
import { validateLoadOptions } from './load-options.js';
import type { LoadOptions, RawLoadOptions } from './load-options.js';
import { LoadRun } from './load-run.js';
import type { LoadHooks } from './load-run.js';
import type { LoadResult } from '../common/result.js';
import { optionError } from '../common/errors.js';
import { RUN_DEFAULTS } from '../common/defaults.js';

const US_PER_SECOND = 1_000_000;
const LOOP_DELAY_RESOLUTION_MS = 10;

export type { LoadOptions } from './load-options.js';
export type { LoadHooks } from './load-run.js';
export type { LoadProgress } from './progress.js';

export async function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  const filled = validateLoadOptions(options);
  // Closed model: no schedule; the run keeps `connections` users going for the duration.
  if (filled.closed) {
    const result = await new LoadRun({ ...filled, rampSeconds: filled.closed.durationSeconds }, new Float64Array(0), hooks).run();
    return { ...result, options: { ...result.options, users: result.users.scheduled } };
  }
  const { full, schedule } = schedules(filled);
  if (schedule.length === 0) {
    throw optionError(filled.shard ? '--shard' : '--stages', `leaves no users to start (${full.length} in the schedule)`);
  }
  const result = await new LoadRun({ ...filled, users: schedule.length }, schedule, hooks).run();
  return withPlannedArrivals(result, schedule, filled.stages);
}

/** A load's result and the worst delays of the event loop it ran on. */
export interface WatchedLoad {
  result: LoadResult;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

/** runLoad on this thread's event loop, watched by a delay monitor: a saturated client reports its own limits. */
export async function runLoadWatched(options: LoadOptions, hooks: LoadHooks = {}): Promise<WatchedLoad> {
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  try {
    const result = await runLoad(options, hooks);
    return { result, eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6, eventLoopDelayMaxMs: loopDelay.max / 1e6 };
  } finally {
    loopDelay.disable();
  }
}

/** The whole schedule, and this client's share of it. */
function schedules(filled: LoadOptions): { full: Float64Array; schedule: Float64Array } {
  const full = filled.stages
    ? stagedSchedule(filled.stages, filled.arrival, filled.seed)
    : arrivalSchedule({ users: filled.users, rampSeconds: filled.rampSeconds, arrival: filled.arrival, seed: filled.seed });
  // Several processes each take every count-th arrival of the one schedule, keeping its exact shape.
  const schedule = filled.shard ? full.filter((_, i) => i % filled.shard!.count === filled.shard!.index) : full;
  return { full, schedule };
}

/** How many users an open-model load starts: its share of the schedule. */
export function scheduledUsers(options: RawLoadOptions): number {
  return schedules(validateLoadOptions(options)).schedule.length;
}

/** What a warm-up shares with the measurement it precedes. */
export type WarmUpTarget = Pick<LoadOptions, 'target' | 'variant' | 'timeoutMs' | 'expectBackend' | 'checkOwnPost'>;

/** Uncounted users that warm a target up before it is measured: `benchlab run` and `load --warmup-users` alike. */
export function warmUp(target: WarmUpTarget, users: number, runTag: string | undefined, signal: AbortSignal): Promise<LoadResult> {
  // Field by field: a measurement's full options (shards, stages, caps) must not shape the warm-up.
  const { target: url, variant, timeoutMs, expectBackend, checkOwnPost } = target;
  const warm = { target: url, variant, timeoutMs, expectBackend, checkOwnPost, arrival: 'uniform' as const };
  return runLoad({ ...warm, users, rampSeconds: RUN_DEFAULTS.warmupRampSeconds, ...(runTag === undefined ? {} : { runTag }) }, { signal });
}

/** The timeline records, beside each second's actual arrivals, how many were planned for it. */
function withPlannedArrivals(result: LoadResult, schedule: Float64Array, stages: Stage[] | undefined): LoadResult {
  const planned: number[] = [];
  const first = schedule[0] ?? 0;
  for (const offset of schedule) {
    const second = Math.floor((offset - first) / US_PER_SECOND);
    planned[second] = (planned[second] ?? 0) + 1;
  }
  const timeline = result.timeline.map((s) => ({ ...s, planned: planned[s.second] ?? 0 }));
  for (let second = timeline.length; second < planned.length; second++) {
    timeline.push({ second, arrivals: 0, completions: 0, errors: 0, planned: planned[second] ?? 0 });
  }
  return { ...result, timeline, ...(stages ? { options: { ...result.options, stages } } : {}) };
}
