import fs from 'node:fs';
import { parseAccessLog, type AccessLogEntry } from './nginx.js';
import type { StepName } from '../../common/result.js';
import type { TimeSplit } from '../../common/time-split.js';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Which step of the scenario a logged request was; null for anything else (healthz, other paths). */
export function stepOf(entry: AccessLogEntry): StepName | null {
  if (entry.path !== '/') return null;
  if (entry.method === 'POST') return 'post';
  if (entry.method === 'GET' && entry.hadCookie !== null) return entry.hadCookie ? 'redirect' : 'get';
  return null;
}

export function timeSplitOf(entries: readonly AccessLogEntry[]): TimeSplit {
  const byStep = new Map<StepName, AccessLogEntry[]>();
  for (const entry of entries) {
    const step = stepOf(entry);
    if (step === null || entry.upstreamTimeMs === null) continue;
    const list = byStep.get(step) ?? [];
    list.push(entry);
    byStep.set(step, list);
  }
  const split: TimeSplit = {};
  for (const [step, list] of byStep) {
    const nginx = list.map((e) => e.requestTimeMs).sort((a, b) => a - b);
    const backend = list.map((e) => e.upstreamTimeMs!).sort((a, b) => a - b);
    const proxy = list.map((e) => Math.max(0, e.requestTimeMs - e.upstreamTimeMs!)).sort((a, b) => a - b);
    split[step] = {
      requests: list.length,
      nginxP50Ms: percentile(nginx, 50),
      nginxP99Ms: percentile(nginx, 99),
      backendP50Ms: percentile(backend, 50),
      backendP99Ms: percentile(backend, 99),
      proxyP50Ms: percentile(proxy, 50),
      proxyP99Ms: percentile(proxy, 99),
    };
  }
  return split;
}

/** The access log from a byte offset on: the measured window's lines only. */
export function accessLogSince(file: string, offset: number): AccessLogEntry[] {
  return parseAccessLog(textSince(file, offset));
}

/** What a log file gained since `offset` bytes; empty when it cannot be read. */
export function textSince(file: string, offset: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.max(0, size - offset));
      fs.readSync(fd, buffer, 0, buffer.length, offset);
      return buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
