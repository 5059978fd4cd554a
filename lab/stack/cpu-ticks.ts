// How busy each CPU was over a stretch of time, from /proc/stat: a run records what else used the
// client CPUs in its window, and the benches print it beside their own processes' CPU.
import fs from 'node:fs';

/** Clock ticks per CPU ("cpu0", "cpu1", …) since boot. */
export interface CpuTicks {
  busy: number;
  total: number;
  /** Time the hypervisor ran something else while this virtual CPU had work (counted in busy). */
  steal: number;
}

/** The per-CPU lines of /proc/stat; idle and iowait count as not busy. */
export function parseCpuTicks(procStat: string): Map<string, CpuTicks> {
  const ticks = new Map<string, CpuTicks>();
  for (const line of procStat.split('\n')) {
    const match = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (match === null) continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice, already counted in user and nice]
    const fields = match[2]!.trim().split(/\s+/).slice(0, 8).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    ticks.set(match[1]!, { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total, steal: fields[7] ?? 0 });
  }
  return ticks;
}

export function readCpuTicks(): Map<string, CpuTicks> {
  return parseCpuTicks(fs.readFileSync('/proc/stat', 'utf8'));
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

/** The busy share (0–1) of `cpu` between two readings; undefined when it is not in both. */
export function busyShare(before: Map<string, CpuTicks>, after: Map<string, CpuTicks>, cpu: string): number | undefined {
  const both = readingsOf(before, after, cpu);
  if (both === undefined || both.after.total <= both.before.total) return undefined;
  return (both.after.busy - both.before.busy) / (both.after.total - both.before.total);
}
