// Who used the CPU during a measured window: every process on the machine, read from /proc at the
// window's two ends. /proc/stat says how busy the server and client CPUs were; this names what,
// outside the lab, was busy. On the 2-core host a sched_switch trace of the client CPU during a
// default run found, besides the client and the lab: kdamond.0 (the kernel's memory monitor)
// 0.23–0.43 s per 10-s window, the VM's own agent (tokio-rt-worker) 0.06–0.15 s, the machine's
// services (redis, nats, mosquitto) 0.01–0.04 s each, and now and then a short-lived Erlang VM
// of the machine's RabbitMQ tooling, 0.25–0.34 s of CPU within about a third of a second.
import fs from 'node:fs';
import { allowedCpus } from './confine.js';
import { clockTicksPerSecond, parseProcStat, processCpuNs, type ProcStat } from './sampler.js';

/** One process at one moment: its threads' time on a CPU, and its reaped children's. */
export interface ProcessCpu {
  name: string;
  /** When it started (clock ticks since boot): a pid reused by another process starts over. */
  startTicks: number;
  /** Every thread's time on a CPU so far (schedstat, ns). */
  ns: number;
  /** Its waited-for children's user and system time (cutime + cstime), ns. */
  childNs: number;
}

/** A process outside the lab that used CPU during the window. */
export interface OtherProcess {
  name: string;
  pid: number;
  cpuSeconds: number;
  /** The CPUs it may run on (Cpus_allowed_list), read at the window's end; null when it had ended. */
  cpus: string | null;
}

/** Below this a process is not named: a reading's own noise and the machine's idle chatter. */
const NAME_AT_SECONDS = 0.01;

/**
 * Every process's CPU so far, by pid. 81 processes took 23–25 ms to read on the 2-core host, so it
 * is read only at a window's two ends. The start is read while the lab's own warm-up load still runs
 * in this process, and 23 ms of a blocked loop would start a bunch of its users together just before
 * the hand-off (a bunch opens upstream connections that spread the load over cold workers), so
 * the reading yields to the event loop every `sliceMs`.
 */
export async function readMachineCpu(sliceMs = 1): Promise<Map<number, ProcessCpu>> {
  const nsPerTick = 1e9 / clockTicksPerSecond();
  const processes = new Map<number, ProcessCpu>();
  let sliceStart = performance.now();
  for (const entry of fs.readdirSync('/proc')) {
    if (performance.now() - sliceStart > sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const read = readProcess(pid, nsPerTick);
    if (read !== undefined) processes.set(pid, read);
  }
  return processes;
}

function readProcess(pid: number, nsPerTick: number): ProcessCpu | undefined {
  let stat: ProcStat;
  try {
    stat = parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone meanwhile
  }
  const childNs = (stat.cutimeTicks + stat.cstimeTicks) * nsPerTick;
  return { name: stat.comm, startTicks: stat.startTimeTicks, ns: processCpuNs(pid), childNs: Number.isFinite(childNs) ? childNs : 0 };
}

/**
 * The CPU seconds each process used between two readings: its own threads' (those alive at both
 * ends) and the children it reaped meanwhile, so that a short-lived command counts for the process
 * that waited for it. A process that started during the window counts whole; one that ended during
 * it is missed unless a live parent reaped it. Skips `exclude` (the lab's own processes).
 */
export function cpuUseBetween(
  before: ReadonlyMap<number, ProcessCpu>,
  after: ReadonlyMap<number, ProcessCpu>,
  exclude: ReadonlySet<number>,
): Array<{ pid: number; name: string; cpuSeconds: number }> {
  const used: Array<{ pid: number; name: string; cpuSeconds: number }> = [];
  for (const [pid, end] of after) {
    if (exclude.has(pid)) continue;
    const start = before.get(pid);
    // A kernel worker's name changes with its work; a pid reused by another process starts over.
    const same = start !== undefined && start.startTicks === end.startTicks;
    // Threads that ended meanwhile take their time with them: never below nothing.
    const ns = same ? Math.max(0, end.ns - start.ns) + Math.max(0, end.childNs - start.childNs) : end.ns + end.childNs;
    if (ns > 0) used.push({ pid, name: end.name, cpuSeconds: ns / 1e9 });
  }
  return used.sort((a, b) => b.cpuSeconds - a.cpuSeconds);
}

/** CPU seconds between two readings of the given processes (threads alive at both ends). */
export function cpuOfBetween(before: ReadonlyMap<number, ProcessCpu>, after: ReadonlyMap<number, ProcessCpu>, pids: Iterable<number>): number {
  let ns = 0;
  for (const pid of new Set(pids)) {
    const start = before.get(pid);
    const end = after.get(pid);
    if (end === undefined) continue;
    ns += start !== undefined && start.startTicks === end.startTicks ? Math.max(0, end.ns - start.ns) : end.ns;
  }
  return ns / 1e9;
}

/** The `count` processes outside the lab that used the most CPU, each with the CPUs it may use now. */
export function busiestOthers(
  before: ReadonlyMap<number, ProcessCpu>,
  after: ReadonlyMap<number, ProcessCpu>,
  exclude: ReadonlySet<number>,
  count = 5,
): OtherProcess[] {
  return cpuUseBetween(before, after, exclude)
    .filter((p) => p.cpuSeconds >= NAME_AT_SECONDS)
    .slice(0, count)
    .map((p) => ({ name: p.name, pid: p.pid, cpuSeconds: Math.round(p.cpuSeconds * 1000) / 1000, cpus: allowedCpus(p.pid) ?? null }));
}
