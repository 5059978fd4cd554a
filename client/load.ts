// `benchlab load`: replays the classic experiment's user against a target under an open arrival model.
import { arrivalSchedule } from './arrival-schedule.js';
import { validateLoadOptions } from './load-options.js';
import type { LoadOptions } from './load-options.js';
import { LoadRun } from './load-run.js';
import type { LoadHooks } from './load-run.js';
import type { LoadResult } from './result.js';
import { optionError } from '../lab/errors.js';

export type { LoadOptions } from './load-options.js';
export type { LoadHooks } from './load-run.js';
export type { LoadProgress } from './progress.js';

export async function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  const filled = validateLoadOptions(options);
  const full = arrivalSchedule({
    users: filled.users,
    rampSeconds: filled.rampSeconds,
    arrival: filled.arrival,
    seed: filled.seed,
  });
  if (!filled.shard) return new LoadRun(filled, full, hooks).run();
  // Every count-th arrival of the one schedule: several processes together keep its exact shape.
  const { index, count } = filled.shard;
  const schedule = full.filter((_, i) => i % count === index);
  if (schedule.length === 0) throw optionError('--shard', `${index}/${count} has no users out of ${filled.users}`);
  return new LoadRun({ ...filled, users: schedule.length }, schedule, hooks).run();
}
