// One status line during a run; the caller decides where it goes and whether it is \r-updated.

export interface LoadProgress {
  /** Seconds since the first scheduled arrival. */
  elapsedSeconds: number;
  scheduled: number;
  started: number;
  ok: number;
  failed: number;
  inFlight: number;
  /** Responses per X-Worker value so far (one event loop's own progress; absent where loops are combined). */
  workers?: Readonly<Record<string, number>>;
}

export function formatProgressLine(progress: LoadProgress): string {
  const { elapsedSeconds, scheduled, started, ok, failed, inFlight } = progress;
  const finishedPerSecond = elapsedSeconds > 0 ? (ok + failed) / elapsedSeconds : 0;
  return (
    `${elapsedSeconds.toFixed(1)} s  users ${started}/${scheduled} started  ok ${ok}  failed ${failed}` +
    `  in flight ${inFlight}  ${finishedPerSecond.toFixed(1)} users/s`
  );
}
