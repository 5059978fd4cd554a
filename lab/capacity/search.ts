// The rate search of `benchlab capacity`, pure: double the rate while the SLO holds, then bisect
// between the highest passing and the lowest failing rate.

export interface RateVerdict {
  /** Users arriving per second. */
  rate: number;
  pass: boolean;
}

export interface RateSearch {
  startRate: number;
  maxRate: number;
  /** Measurements per variant, all steps included. */
  maxSteps: number;
  /** Stop bisecting once (failing - passing) / passing is below this. */
  precision: number;
  /** Lowest rate worth measuring (a step needs at least one user). */
  minRate: number;
}

/** Why the search stopped. */
export type SearchEnd =
  /** The gap between passing and failing fell below the precision. */
  | 'converged'
  /** Even --max-rate passed: the capacity is at least that. */
  | 'max-rate'
  /** Not even the lowest rate worth measuring passed. */
  | 'min-rate'
  /** --steps ran out first. */
  | 'steps';

export type NextRate = { rate: number } | { done: SearchEnd };

/** The highest rate that passed, or null when none did. */
export function highestPassing(history: readonly RateVerdict[]): number | null {
  const passed = history.filter((h) => h.pass).map((h) => h.rate);
  return passed.length === 0 ? null : Math.max(...passed);
}

/** The lowest rate that failed above `floor`, or null when none did. */
export function lowestFailing(history: readonly RateVerdict[], floor = 0): number | null {
  const failed = history.filter((h) => !h.pass && h.rate > floor).map((h) => h.rate);
  return failed.length === 0 ? null : Math.min(...failed);
}

/** The next rate to measure after `history` (in the order measured), or why to stop. */
export function nextRate(history: readonly RateVerdict[], search: RateSearch): NextRate {
  const lower = highestPassing(history) ?? 0;
  const upper = lowestFailing(history, lower);
  if (history.length === 0) return { rate: Math.min(search.startRate, search.maxRate) };
  if (upper === null) {
    // Everything so far passed: keep doubling up to the ceiling.
    if (lower >= search.maxRate) return { done: 'max-rate' };
    if (history.length >= search.maxSteps) return { done: 'steps' };
    return { rate: Math.min(lower * 2, search.maxRate) };
  }
  if (lower > 0 && (upper - lower) / lower < search.precision) return { done: 'converged' };
  // Nothing passed yet: halve towards the floor; else bisect.
  const candidate = lower === 0 ? Math.floor(upper / 2) : Math.round((lower + upper) / 2);
  if (lower === 0 && candidate < search.minRate) return { done: 'min-rate' };
  if (candidate <= lower || candidate >= upper) return { done: 'converged' };
  if (history.length >= search.maxSteps) return { done: 'steps' };
  return { rate: candidate };
}
