// `benchlab load`: replays the classic experiment's user against a target under an open arrival model.
import { arrivalSchedule } from './arrival-schedule.js';
import { validateLoadOptions } from './load-options.js';
import type { LoadOptions } from './load-options.js';
import { LoadRun } from './load-run.js';
import type { LoadHooks } from './load-run.js';
import type { LoadResult } from './result.js';

export type { LoadOptions } from './load-options.js';
export type { LoadHooks } from './load-run.js';
export type { LoadProgress } from './progress.js';

export async function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  const filled = validateLoadOptions(options);
  const schedule = arrivalSchedule({
    users: filled.users,
    rampSeconds: filled.rampSeconds,
    arrival: filled.arrival,
    seed: filled.seed,
  });
  return new LoadRun(filled, schedule, hooks).run();
}
