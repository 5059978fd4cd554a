// The closed-model peak of a plain GET /, with autocannon: the most requests per second a variant
// answers when nothing else limits it (no cookies, no posts), to set beside the scenario's figures.
import { createRequire } from 'node:module';

import type { PeakResult } from '../common/result.js';

const require = createRequire(import.meta.url);

export type { PeakResult };

interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  duration: number;
  start: Date;
  finish: Date;
  non2xx: number;
  errors: number;
  timeouts: number;
}
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

/**
 * Uncounted seconds of the same load first, in the same process: a fresh process runs autocannon's
 * JavaScript (its HTTP parser included) cold, several times slower per answer, and on a busy client
 * core such a client turns answers into new requests late enough to leave the server idle at times.
 */
export const PEAK_WARMUP_SECONDS = 1;

export async function runPeak(
  target: string,
  connections: number,
  durationSeconds: number,
  timeoutMs: number,
  warmupSeconds = PEAK_WARMUP_SECONDS,
): Promise<PeakResult> {
  if (warmupSeconds > 0) await autocannon({ url: target, connections, duration: warmupSeconds, timeout: Math.ceil(timeoutMs / 1000) });
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const r = await autocannon({ url: target, connections, duration: durationSeconds, timeout: Math.ceil(timeoutMs / 1000) });
  const cpu = process.cpuUsage(cpuBefore);
  return {
    target,
    tool: 'autocannon',
    connections,
    warmupSeconds,
    startedAt: new Date(r.start).toISOString(),
    finishedAt: new Date(r.finish).toISOString(),
    durationSeconds: r.duration,
    requests: r.requests.total,
    requestsPerSecond: r.duration > 0 ? r.requests.total / r.duration : 0,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.average },
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    client: { cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - wallBefore) / 1000 },
  };
}
