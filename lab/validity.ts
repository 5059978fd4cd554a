import type { LoadResult, PeakResult } from '../common/result.js';
import { cpusOf } from '../client/merge-results.js';

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
  const latenessP99Ms = result.latenessUs.p99 / 1000;
  if (result.latenessUs.count > 0 && latenessP99Ms > maxLatenessMs) {
    reasons.push(`client started users late: lateness p99 ${latenessP99Ms.toFixed(1)} ms (over ${maxLatenessMs} ms)`);
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
