// The closed-model peak of a plain GET /, with autocannon: the most requests per second a variant
// answers when nothing else limits it (no cookies, no posts), to set beside the scenario's figures.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

export interface PeakResult {
  target: string;
  tool: 'autocannon';
  connections: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
}

export async function runPeak(target: string, connections: number, durationSeconds: number, timeoutMs: number): Promise<PeakResult> {
  const r = await autocannon({ url: target, connections, duration: durationSeconds, timeout: Math.ceil(timeoutMs / 1000) });
  return {
    target,
    tool: 'autocannon',
    connections,
    durationSeconds: r.duration,
    requests: r.requests.total,
    requestsPerSecond: r.duration > 0 ? r.requests.total / r.duration : 0,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.average },
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}
