// How busy each CPU was over a stretch of time, from /proc/stat: a run records what else used the
// client CPUs in its window, and the benches print it beside their own processes' CPU.
import fs from 'node:fs';

/**
 * Clock ticks per CPU ("cpu0", "cpu1", …) since boot, and when they were read. This kernel accounts
 * busy time by sampling at its timer tick (CONFIG_TICK_CPU_ACCOUNTING): a process that runs in short
 * bursts between sleeps is undercounted, so the busy fields summed fell short of the client's own
 * CPU time (rusage, exact) in a measured window and the other work on its CPU read as nothing. Idle
 * time is counted by the idle loop itself, so how long a CPU was busy between two readings is the
 * time between them less its idle time (`busySeconds`).
 */
export interface CpuTicks {
  /** The busy fields summed (user … steal): sampled at the tick, only for shares of sampled time. */
  busy: number;
  total: number;
  /** Idle and iowait, counted as the CPU enters and leaves its idle loop. */
  idle: number;
  /** Time the hypervisor ran something else while this virtual CPU had work (counted in busy). */
  steal: number;
  /** `performance.now()` when /proc/stat was read. */
  atMs: number;
}

/** The per-CPU lines of /proc/stat, read at `atMs`; idle and iowait count as not busy. */
export function parseCpuTicks(procStat: string, atMs = 0): Map<string, CpuTicks> {
  const ticks = new Map<string, CpuTicks>();
  for (const line of procStat.split('\n')) {
    const match = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (match === null) continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice, already counted in user and nice]
    const fields = match[2]!.trim().split(/\s+/).slice(0, 8).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    ticks.set(match[1]!, { busy: total - idle, total, idle, steal: fields[7] ?? 0, atMs });
  }
  return ticks;
}

export function readCpuTicks(): Map<string, CpuTicks> {
  const text = fs.readFileSync('/proc/stat', 'utf8');
  return parseCpuTicks(text, performance.now());
}

/** The milliseconds `cpu` was stolen by the hypervisor between two readings; undefined when it is not in both. */
export function stolenMs(before: Map<string, CpuTicks>, after: Map<string, CpuTicks>, cpu: string, ticksPerSecond: number): number | undefined {
  const both = readingsOf(before, after, cpu);
  return both === undefined ? undefined : ((both.after.steal - both.before.steal) * 1000) / ticksPerSecond;
}

/** `cpu`'s two readings, or undefined when it is not in both. */
function readingsOf(before: Map<string, CpuTicks>, after: Map<string, CpuTicks>, cpu: string): { before: CpuTicks; after: CpuTicks } | undefined {
  const a = before.get(cpu);
  const b = after.get(cpu);
  return a === undefined || b === undefined ? undefined : { before: a, after: b };
}

/**
 * How long `cpu` was busy between two readings, in seconds, and the seconds between them: the time
 * less its idle time (within the 1/`ticksPerSecond` s that idle is reported in); undefined when it is
 * not in both or no time passed.
 */
export function busySeconds(
  before: Map<string, CpuTicks>,
  after: Map<string, CpuTicks>,
  cpu: string,
  ticksPerSecond: number,
): { busy: number; elapsed: number } | undefined {
  const both = readingsOf(before, after, cpu);
  if (both === undefined || both.after.atMs <= both.before.atMs) return undefined;
  const elapsed = (both.after.atMs - both.before.atMs) / 1000;
  const idle = (both.after.idle - both.before.idle) / ticksPerSecond;
  // iowait, counted in idle, can step back between readings on a tickless kernel: busy stays within the window.
  return { busy: Math.min(elapsed, Math.max(0, elapsed - idle)), elapsed };
}

/** The busy share (0–1) of `cpu` between two readings; undefined when it is not in both. */
export function busyShare(before: Map<string, CpuTicks>, after: Map<string, CpuTicks>, cpu: string, ticksPerSecond: number): number | undefined {
  const seconds = busySeconds(before, after, cpu, ticksPerSecond);
  return seconds === undefined ? undefined : seconds.busy / seconds.elapsed;
}
