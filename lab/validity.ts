import type { LoadResult, PeakResult } from '../common/result.js';
import { cpusOf } from '../client/merge-results.js';
import { RUN_DEFAULTS } from '../common/defaults.js';

// A run whose client was saturated measured the client. The two signs: the client's own CPU near
// full, and users started late against their schedule.
export const MAX_CLIENT_CPU_PERCENT = 80;

export function clientValidity(result: LoadResult, maxLatenessMs: number): { valid: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const client = result.client;
  if (client && client.wallSeconds > 0) {
    const cpus = cpusOf(client);
    const cpuPercent = (100 * client.cpuSeconds) / (client.wallSeconds * cpus);
    if (cpuPercent > MAX_CLIENT_CPU_PERCENT) {
      const whose = client.cpus !== undefined ? `${cpus} CPU${cpus === 1 ? '' : 's'}` : `${client.eventLoops !== undefined ? 'event loops' : 'processes'}'`;
      reasons.push(`client CPU at ${cpuPercent.toFixed(0)}% of its ${whose} time (over ${MAX_CLIENT_CPU_PERCENT}%)`);
    }
  }
  // Lateness is inside every user time (each is timed from its schedule): it can change a conclusion
  // only when it is a noticeable part of the times compared, not 23 ms on a 9 s median.
  const latenessP99Ms = result.latenessUs.p99 / 1000;
  const p50Ms = result.sessionTimeUs.count > 0 ? result.sessionTimeUs.p50 / 1000 : 0;
  const limitMs = Math.max(maxLatenessMs, RUN_DEFAULTS.latenessShareOfP50 * p50Ms);
  if (result.latenessUs.count > 0 && latenessP99Ms > limitMs) {
    const share = p50Ms > 0 ? ` (${Math.round((100 * latenessP99Ms) / p50Ms)}% of the user-time p50 of ${p50Ms.toFixed(1)} ms)` : '';
    reasons.push(`client started users late: lateness p99 ${latenessP99Ms.toFixed(1)} ms${share}, over ${limitMs.toFixed(1)} ms`);
  }
  return { valid: reasons.length === 0, reasons };
}

/** The closed-loop GET / peak's client (one process, one event loop) near a full CPU measured itself. */
export function peakValidity(peak: PeakResult): { valid: boolean; reasons: string[] } {
  const client = peak.client;
  if (!client || client.wallSeconds <= 0) return { valid: true, reasons: [] };
  const cpuPercent = (100 * client.cpuSeconds) / client.wallSeconds;
  if (cpuPercent <= MAX_CLIENT_CPU_PERCENT) return { valid: true, reasons: [] };
  return {
    valid: false,
    reasons: [`the GET / peak's client CPU at ${cpuPercent.toFixed(0)}% (over ${MAX_CLIENT_CPU_PERCENT}%): the peak may be the client's`],
  };
}
