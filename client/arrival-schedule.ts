// When each user of an open-model run arrives, whether or not earlier users have finished.
import { seededRandom } from './seeded-random.js';

export type ArrivalModel = 'uniform' | 'poisson';

export interface ArrivalScheduleRequest {
  users: number;
  rampSeconds: number;
  arrival: ArrivalModel;
  /** PRNG seed for the Poisson gaps. */
  seed?: number;
}

const US_PER_SECOND = 1_000_000;
const DEFAULT_SEED = 1;

/** Sorted start offsets in whole microseconds, the first at 0, every one before the end of the ramp. */
export function arrivalSchedule(request: ArrivalScheduleRequest): Float64Array {
  const { users, rampSeconds, arrival } = request;
  const offsets = new Float64Array(users);
  const rampUs = rampSeconds * US_PER_SECOND;
  if (users === 0 || rampUs === 0) return offsets;
  if (arrival === 'uniform') {
    const gapUs = rampUs / users;
    for (let i = 0; i < users; i++) offsets[i] = Math.floor(i * gapUs);
    return offsets;
  }
  // Exponential gaps normalised to the ramp: a Poisson process conditioned on `users` arrivals in it.
  const random = seededRandom(request.seed ?? DEFAULT_SEED);
  let elapsed = 0;
  for (let i = 0; i < users; i++) {
    offsets[i] = elapsed;
    elapsed += -Math.log(1 - random());
  }
  const scale = rampUs / elapsed;
  for (let i = 0; i < users; i++) offsets[i] = Math.floor(offsets[i] * scale);
  return offsets;
}
