// The closed-model peak of a plain GET /: the most requests per second a variant answers when
// nothing else limits it (no cookies, no posts), to set beside the scenario's figures. It runs on
// the lab's own kept-alive connections (get-loop.ts); bench/README.md ("Server ceilings" and the
// accuracy bench's check 3) has the figures that chose it over autocannon and beside wrk.
import type { PeakResult } from '../common/result.js';
import { GetLoop, latencyMs } from './get-loop.js';

export type { PeakResult };

/**
 * Uncounted seconds of the same load first, on the same connections: the target's and the client's
 * code runs warm from the first counted answer, and connections are already open.
 */
export const PEAK_WARMUP_SECONDS = 1;

const MS_PER_SECOND = 1_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runPeak(
  target: string,
  connections: number,
  durationSeconds: number,
  timeoutMs: number,
  warmupSeconds = PEAK_WARMUP_SECONDS,
): Promise<PeakResult> {
  const loop = new GetLoop(target, connections, timeoutMs);
  loop.start();
  try {
    if (warmupSeconds > 0) await sleep(warmupSeconds * MS_PER_SECOND);
    // From here only requests sent from now on count; those in flight from the warm-up count nowhere.
    loop.restartCount();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(durationSeconds * MS_PER_SECOND);
    const counts = loop.stop();
    const cpu = process.cpuUsage(cpuBefore);
    return {
      target,
      tool: 'benchlab',
      connections,
      warmupSeconds,
      startedAt: new Date(counts.startedAtMs).toISOString(),
      finishedAt: new Date(counts.finishedAtMs).toISOString(),
      durationSeconds: counts.durationSeconds,
      requests: counts.requests,
      requestsPerSecond: counts.durationSeconds > 0 ? counts.requests / counts.durationSeconds : 0,
      latencyMs: latencyMs(counts),
      non2xx: counts.non2xx,
      errors: counts.errors + counts.timeouts,
      client: { cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - wallBefore) / MS_PER_SECOND },
    };
  } finally {
    loop.stop();
  }
}
