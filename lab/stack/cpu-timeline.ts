// The app's CPU second by second through a measured window, on the seconds of the client's timeline
// (second 0 starts at the start gate's time). Set beside each second's completed users it is the
// app's CPU per user over the run, so a run shows whether its first seconds cost what its last ones
// did: the warm-up's claim, checked in the measurement itself.

/** A cumulative CPU reading: nanoseconds of CPU at `atMs` (epoch ms). */
export interface CpuReading {
  atMs: number;
  cpuNs: number;
}

/**
 * The CPU used in each whole second from `originMs`, in ms, from cumulative readings: the reading at
 * each second's boundary is interpolated between the readings on either side. A second whose end
 * lies after the last reading (or whose start lies before the first) is left out, so the list ends
 * with the last second the readings cover.
 */
export function cpuMsBySecond(readings: readonly CpuReading[], originMs: number): number[] {
  const at = (ms: number): number | undefined => {
    for (let i = 1; i < readings.length; i++) {
      const a = readings[i - 1]!;
      const b = readings[i]!;
      if (a.atMs <= ms && ms <= b.atMs) return b.atMs === a.atMs ? b.cpuNs : a.cpuNs + ((b.cpuNs - a.cpuNs) * (ms - a.atMs)) / (b.atMs - a.atMs);
    }
    return undefined;
  };
  const seconds: number[] = [];
  for (let second = 0; ; second++) {
    const from = at(originMs + second * 1000);
    const to = at(originMs + (second + 1) * 1000);
    if (from === undefined || to === undefined) return seconds;
    seconds.push(Math.round((to - from) / 1e3) / 1e3);
  }
}

export interface CpuTimeline {
  /** Takes a last reading and returns the CPU of each whole second since the origin, in ms. */
  stop(): number[];
}

/**
 * Reads `cpuNs()` every `intervalMs` from now on (the first reading at once, which is taken as the
 * origin's when it falls within an interval of it), until stopped.
 */
export function startCpuTimeline(cpuNs: () => number, originMs: number, intervalMs = 250): CpuTimeline {
  const readings: CpuReading[] = [];
  const read = () => readings.push({ atMs: Date.now(), cpuNs: cpuNs() });
  read();
  // The gate's time may lie a few ms ahead of this first reading (several clients start together).
  if (readings[0]!.atMs > originMs && readings[0]!.atMs - originMs < intervalMs) readings[0] = { ...readings[0]!, atMs: originMs };
  const timer = setInterval(read, intervalMs);
  timer.unref();
  let stopped: number[] | undefined;
  return {
    stop() {
      if (stopped === undefined) {
        clearInterval(timer);
        read();
        stopped = cpuMsBySecond(readings, originMs);
      }
      return stopped;
    },
  };
}
