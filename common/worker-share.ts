// How a load spread over the server's workers (or threads): the share of the responses the busiest
// one served, from the X-Worker counts. One busy worker costs less per user than several (a prefork
// run with 93-98% on one worker cost 0.85-0.90 ms of app CPU per user, one split 56/44 cost 1.21),
// so the warm-up's check sets the measurement's share beside the warm-up's.

/** The busiest worker's share of the responses (0–1), or null when none were counted. */
export function busiestShare(responsesPerWorker: readonly number[]): number | null {
  const total = responsesPerWorker.reduce((sum, n) => sum + n, 0);
  if (!(total > 0)) return null;
  return Math.round((Math.max(...responsesPerWorker) / total) * 1000) / 1000;
}
