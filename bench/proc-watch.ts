// Watches one process through /proc while it runs: CPU time used and peak RSS (the kernel's VmHWM).
// Both only grow, so the last reading before the process exits is the figure, short by at most one interval.
// RSS splits into private memory (RssAnon) and file pages (RssFile, mostly node's own code, shared by
// every node process); their peaks are sampled.
import fs from 'node:fs';
import { clockTicksPerSecond, parseProcStat } from '../lab/stack/sampler.js';

export interface ProcFigures {
  cpuSeconds: number;
  /** VmHWM: the most resident memory the process ever had. */
  peakRssBytes: number;
  /** The most private (anonymous) resident memory seen. */
  peakAnonBytes: number;
  /** The most file-backed resident memory seen. */
  peakFileBytes: number;
}

export interface ProcWatch {
  /** Stops watching; the figures of the last reading. */
  stop(): ProcFigures;
}

const KIB = 1024;

interface MemoryReading {
  hwm: number;
  anon: number;
  file: number;
}

/** VmHWM, RssAnon and RssFile from /proc/PID/status, in bytes; undefined once the process is gone. */
export function memoryOf(pid: number): MemoryReading | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? NaN) * KIB;
  const reading = { hwm: field('VmHWM'), anon: field('RssAnon'), file: field('RssFile') };
  // A zombie has a status but no memory fields.
  return Number.isNaN(reading.hwm) ? undefined : reading;
}

function cpuTicksOf(pid: number): number | undefined {
  try {
    const stat = parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return stat.utimeTicks + stat.stimeTicks;
  } catch {
    return undefined;
  }
}

export function watchProcess(pid: number, intervalMs = 50): ProcWatch {
  const figures: ProcFigures = { cpuSeconds: 0, peakRssBytes: 0, peakAnonBytes: 0, peakFileBytes: 0 };
  const read = () => {
    const ticks = cpuTicksOf(pid);
    const memory = memoryOf(pid);
    // A zombie still has a stat but no memory: keep the last live reading.
    if (ticks !== undefined && memory !== undefined) {
      figures.cpuSeconds = ticks / clockTicksPerSecond();
      figures.peakRssBytes = Math.max(figures.peakRssBytes, memory.hwm);
      figures.peakAnonBytes = Math.max(figures.peakAnonBytes, memory.anon);
      figures.peakFileBytes = Math.max(figures.peakFileBytes, memory.file);
    }
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return { ...figures };
    },
  };
}
