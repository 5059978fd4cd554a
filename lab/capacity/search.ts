// The rate search of `benchlab capacity`, pure: double the rate while the SLO holds, then bisect
// between the highest passing and the lowest failing rate, and measure the rate found again
// (`confirmations` times) before believing it. Near its limit a server can hold a rate once and collapse at it the next
// time (prefork with three workers on one core held 500 users/s for 10 s in one step, and a run at
// 450 queued for seconds: a queue spreads requests over more workers, which costs more CPU per
// user, which lengthens the queue), so a capacity is a rate that held every time it was measured.

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
  /** Measurements of the rate found after the first: it counts only if it held every time. */
  confirmations: number;
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

/** The highest rate that passed every time it was measured, or null when none did. */
export function highestPassing(history: readonly RateVerdict[]): number | null {
  const failed = new Set(history.filter((h) => !h.pass).map((h) => h.rate));
  const passed = history.filter((h) => h.pass && !failed.has(h.rate)).map((h) => h.rate);
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
  // Converged: the rate found is measured again, `confirmations` times, while steps are left for it.
  const confirmed = (): NextRate => {
    if (history.filter((h) => h.rate === lower).length > search.confirmations) return { done: 'converged' };
    return history.length < search.maxSteps ? { rate: lower } : { done: 'steps' };
  };
  if (lower > 0 && (upper - lower) / lower < search.precision) return confirmed();
  // Nothing passed yet: halve towards the floor; else bisect.
  const candidate = lower === 0 ? Math.floor(upper / 2) : Math.round((lower + upper) / 2);
  if (lower === 0 && candidate < search.minRate) return { done: 'min-rate' };
  if (candidate <= lower || candidate >= upper) return confirmed();
  if (history.length >= search.maxSteps) return { done: 'steps' };
  return { rate: candidate };
}
