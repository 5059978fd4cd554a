// Whether a measured window kept to its CPUs: the server side confined (checked in /proc), and how
// much of the client CPUs anything but the client used.
import type { Isolation, LoadResult } from '../../common/result.js';
import type { RunOptions } from '../run-options.js';
import { cpuSet, strayProcesses } from './confine.js';
import { busySeconds, type CpuTicks } from './cpu-ticks.js';
import type { Database } from './database.js';
import { busiestOthers, cpuOfBetween, type ProcessCpu } from './machine-cpu.js';
import { clockTicksPerSecond, processTree } from './sampler.js';
import type { VariantStack } from './variant-stack.js';

/** The lab's own CPU seconds (user + system) from two `process.cpuUsage()` readings. */
export function cpuSecondsBetween(before: NodeJS.CpuUsage, after: NodeJS.CpuUsage): number {
  return (after.user - before.user + after.system - before.system) / 1e6;
}

/**
 * What else used the client CPUs between two /proc/stat readings: their busy time (the time between
 * the readings less their idle time, `busySeconds`) minus the
 * client's own CPU, and of that the lab's own process (which keeps to the client CPUs during a
 * pinned run); null when the lab's was not measured. The kernel's interrupt work is not split out:
 * the softirq time /proc/stat shows is partly spent in the client's own context and counted in its
 * CPU as well, so it would be counted twice.
 */
export function clientCpusOthersOf(
  clientCpus: string,
  before: Map<string, CpuTicks>,
  after: Map<string, CpuTicks>,
  clientCpuSeconds: number,
  labSeconds: number | undefined,
  ticksPerSecond: number,
): NonNullable<Isolation['clientCpusOthers']> {
  const { busy, total } = busyOf(clientCpus, before, after, ticksPerSecond);
  const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
  const others = Math.max(0, busy - clientCpuSeconds);
  return {
    cpuSeconds: round(others),
    percent: total > 0 ? Math.round((1000 * others) / total) / 10 : 0,
    labSeconds: labSeconds === undefined ? null : round(Math.min(others, labSeconds)),
  };
}

/** Busy seconds and elapsed seconds of a CPU list between two /proc/stat readings. */
function busyOf(cpus: string, before: Map<string, CpuTicks>, after: Map<string, CpuTicks>, ticksPerSecond: number): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpuSet(cpus).map((c) => `cpu${c}`)) {
    const seconds = busySeconds(before, after, cpu, ticksPerSecond);
    if (seconds === undefined) continue;
    busy += seconds.busy;
    total += seconds.elapsed;
  }
  return { busy, total };
}

/**
 * What else used the server CPUs between two /proc/stat readings: their busy time less the server
 * side's own CPU over the same window (its processes' threads, read per thread from schedstat).
 */
export function serverCpusOthersOf(
  serverCpus: string,
  before: Map<string, CpuTicks>,
  after: Map<string, CpuTicks>,
  serverSideSeconds: number,
  ticksPerSecond: number,
): { cpuSeconds: number; percent: number } {
  const { busy, total } = busyOf(serverCpus, before, after, ticksPerSecond);
  const others = Math.max(0, busy - serverSideSeconds);
  return { cpuSeconds: Math.round(others * 1000) / 1000, percent: total > 0 ? Math.round((1000 * others) / total) / 10 : 0 };
}

/** Every process's CPU at the window's two ends (`readMachineCpu`), and the lab's own processes among them. */
export interface MachineCpuWindow {
  before: Map<number, ProcessCpu>;
  after: Map<number, ProcessCpu>;
  /** The lab's process and its descendants at either end. */
  lab: Set<number>;
}

/**
 * Whether the window kept to its CPUs: every thread of the app, nginx and a database on this
 * machine allowed only on the server CPUs (read in /proc as the window closes), how much of the
 * client CPUs something other than the client used meanwhile (their busy time minus the client's
 * own), and, with every process's CPU at both ends, how much of the server CPUs something other
 * than the server side used and which processes outside the lab used the most.
 */
export function isolationOf(
  stack: VariantStack,
  ctx: { options: Pick<RunOptions, 'serverCpus' | 'clientCpus'>; database: Pick<Database, 'pids'> },
  before: Map<string, CpuTicks> | undefined,
  after: Map<string, CpuTicks> | undefined,
  result: LoadResult,
  labSeconds?: number,
  machine?: MachineCpuWindow,
): Isolation {
  const { serverCpus, clientCpus } = ctx.options;
  if (serverCpus === undefined || clientCpus === undefined) return { pinned: false, serverCpus: null, clientCpus: null, strays: [], clientCpusOthers: null };
  const server = processTree([stack.app.pid]);
  const groups: Array<[string, number[]]> = [
    ['app', server],
    ['nginx', stack.nginx.pids()],
    ['database', ctx.database.pids()],
  ];
  const strays = groups.flatMap(([name, pids]) => strayProcesses(pids, serverCpus).map((pid) => `${name} ${pid}`));
  const clientCpusOthers =
    before !== undefined && after !== undefined && result.client !== undefined
      ? clientCpusOthersOf(clientCpus, before, after, result.client.cpuSeconds, labSeconds, clockTicksPerSecond())
      : null;
  if (machine === undefined || before === undefined || after === undefined) return { pinned: true, serverCpus, clientCpus, strays, clientCpusOthers };
  const serverSide = groups.flatMap(([, pids]) => pids);
  const serverCpusOthers = serverCpusOthersOf(serverCpus, before, after, cpuOfBetween(machine.before, machine.after, serverSide), clockTicksPerSecond());
  const outside = new Set([...machine.lab, ...serverSide]);
  return {
    pinned: true,
    serverCpus,
    clientCpus,
    strays,
    clientCpusOthers,
    serverCpusOthers,
    otherProcesses: busiestOthers(machine.before, machine.after, outside),
  };
}
