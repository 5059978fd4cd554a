import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { ResourceSummary } from '../../common/result.js';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Process group id. */
  pgrp: number;
  utimeTicks: number;
  stimeTicks: number;
  /** User and system time of the children it has waited for. */
  cutimeTicks: number;
  cstimeTicks: number;
  threads: number;
  /** When the process started, in clock ticks since boot: tells a reused pid from the old one. */
  startTimeTicks: number;
}

/** Parses /proc/PID/stat; comm may hold spaces and parentheses, so fields are split after the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/PID/stat line: ${text.slice(0, 80)}`);
  // Field 3 (state) is rest[0], so field n of proc(5) is rest[n - 3].
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: field(4),
    pgrp: field(5),
    utimeTicks: field(14),
    stimeTicks: field(15),
    cutimeTicks: field(16),
    cstimeTicks: field(17),
    threads: field(20),
    startTimeTicks: field(22),
  };
}

export interface Statm {
  sizePages: number;
  residentPages: number;
  sharedPages: number;
}

/** Parses /proc/PID/statm (sizes in pages). */
export function parseStatm(text: string): Statm {
  const [size, resident, shared] = text.trim().split(/\s+/).map(Number);
  if (resident === undefined || Number.isNaN(resident)) throw new Error(`not a /proc/PID/statm line: ${text.slice(0, 80)}`);
  return { sizePages: size!, residentPages: resident, sharedPages: shared ?? 0 };
}

let clockTicks: number | undefined;
let pageSize: number | undefined;

function getconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

/** Units of utime/stime in /proc: USER_HZ, asked once. */
export function clockTicksPerSecond(): number {
  clockTicks ??= getconf('CLK_TCK', 100);
  return clockTicks;
}

export function pageSizeBytes(): number {
  pageSize ??= getconf('PAGESIZE', 4096);
  return pageSize;
}

export interface ProcReading {
  /** utime + stime of the process itself, not of its reaped children. */
  cpuTicks: number;
  rssBytes: number;
}

/** One process's CPU and memory now; undefined when it is gone. */
export function readProcStat(pid: number): ProcReading | undefined {
  try {
    const stat = parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const statm = parseStatm(fs.readFileSync(`/proc/${pid}/statm`, 'utf8'));
    return { cpuTicks: stat.utimeTicks + stat.stimeTicks, rssBytes: statm.residentPages * pageSizeBytes() };
  } catch {
    return undefined;
  }
}

const numericName = /^\d+$/;

function readAllStatsSync(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const name of fs.readdirSync('/proc')) {
    if (!numericName.test(name)) continue;
    try {
      stats.set(Number(name), parseProcStat(fs.readFileSync(`/proc/${name}/stat`, 'utf8')));
    } catch {
      // exited between readdir and read
    }
  }
  return stats;
}

/** The roots (those still alive) plus every descendant, from a pid → stat table. */
export function treeOf(rootPids: number[], stats: Map<number, Pick<ProcStat, 'ppid'>>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of stats) {
    const siblings = children.get(stat.ppid);
    if (siblings === undefined) children.set(stat.ppid, [pid]);
    else siblings.push(pid);
  }
  const seen = new Set<number>();
  const queue = rootPids.filter((pid) => stats.has(pid));
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...seen];
}

/** The given processes and all their descendants that are alive now. */
export function processTree(rootPids: number[]): number[] {
  return treeOf(rootPids, statsOfTrees(rootPids));
}

/**
 * A process's direct children, from the kernel's per-thread children lists: one small read per
 * thread instead of a scan of all of /proc. [] when the process is gone; undefined where the kernel
 * keeps no such lists.
 */
function childrenOf(pid: number): number[] | undefined {
  let threads: string[];
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const thread of threads) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(`/proc/${pid}/task/${thread}`)) return undefined;
      continue;
    }
    if (text !== '') children.push(...text.split(/\s+/).map(Number));
  }
  return children;
}

/** A process and its direct children (a scan of /proc where the kernel keeps no children lists). */
export function selfAndChildren(pid: number): number[] {
  if (!fs.existsSync(`/proc/${pid}/task`)) return [];
  const children = childrenOf(pid);
  return children === undefined ? processTree([pid]) : [pid, ...children];
}

/**
 * The stat of every process in the trees under `roots`, found through the children lists: a tree
 * (the sampler's every sample, the lab's waits and checks) costs a few dozen small reads rather than
 * every process's on the machine (which took a sixth of a client CPU on a machine running a few
 * hundred processes). A scan of all of /proc where the kernel keeps no children lists.
 */
function statsOfTrees(roots: readonly number[]): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (stats.has(pid)) continue;
    try {
      stats.set(pid, parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')));
    } catch {
      continue; // exited, or never was
    }
    const children = childrenOf(pid);
    if (children === undefined) return readAllStatsSync();
    queue.push(...children);
  }
  return stats;
}

/**
 * Nanoseconds on a CPU so far of every thread of a process and of its descendants alive now, from
 * /proc/PID/task/TID/schedstat (the first field: time spent running). utime + stime count whole
 * 10-ms ticks, so a one-second slice of 400 users on a few processes read up to ±10% from the
 * rounding alone; schedstat is exact. A thread that has ended is no longer counted, so the figure
 * suits differences over a stack whose threads live on (the app's). Where a process has no
 * schedstat, its utime + stime stand in.
 */
export function treeCpuNs(root: number): number {
  let total = 0;
  for (const pid of processTree([root])) total += processCpuNs(pid);
  return total;
}

/** One process's threads' time on a CPU so far (schedstat, ns); 0 when it is gone. */
export function processCpuNs(pid: number): number {
  let threads: string[];
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0; // gone
  }
  let total = 0;
  for (const tid of threads) {
    try {
      total += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ', 1)[0]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(`/proc/${pid}/task/${tid}`)) continue; // ended meanwhile
      return ((readProcStat(pid)?.cpuTicks ?? 0) * 1e9) / clockTicksPerSecond();
    }
  }
  return total;
}

/** Processes in a process group that still run (zombies waiting for a slow init are not counted). */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const stat of readAllStatsSync().values()) {
    if (stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(stat.pid);
  }
  return members;
}

export type PidSource = () => number[];

export interface Sampler {
  /** Takes a last sample and summarizes each group over the whole window. */
  stop(): Record<string, ResourceSummary>;
}

interface CpuTrack {
  baselineTicks: number;
  lastTicks: number;
}

interface GroupTally {
  cpu: Map<string, CpuTrack>;
  rssPeakBytes: number;
  rssTotalBytes: number;
  samples: number;
  maxProcesses: number;
}

interface Observation {
  key: string;
  stat: ProcStat;
  rssBytes: number;
}

function uptimeTicks(): number {
  try {
    return Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * clockTicksPerSecond();
  } catch {
    return 0;
  }
}

/**
 * Samples the process tree of each group every intervalMs (plus once at start and once at stop):
 * CPU seconds used during the window, and the tree's summed RSS, peak and mean over the samples.
 */
export function startSampler(groups: Record<string, PidSource>, intervalMs = 200): Sampler {
  const windowStartTicks = uptimeTicks();
  const tallies = new Map<string, GroupTally>();
  for (const name of Object.keys(groups)) {
    tallies.set(name, { cpu: new Map(), rssPeakBytes: 0, rssTotalBytes: 0, samples: 0, maxProcesses: 0 });
  }
  let stopped = false;

  const rootsNow = (): Map<string, number[]> => {
    const roots = new Map<string, number[]>();
    for (const [name, pids] of Object.entries(groups)) {
      try {
        roots.set(name, pids());
      } catch {
        roots.set(name, []); // a service that is not up yet has no pids to report
      }
    }
    return roots;
  };

  const record = (trees: Map<string, number[]>, stats: Map<number, ProcStat>, rssOf: Map<number, number>) => {
    for (const [name, tree] of trees) {
      const observed: Observation[] = [];
      for (const pid of tree) {
        const rssBytes = rssOf.get(pid);
        if (rssBytes === undefined) continue;
        const stat = stats.get(pid)!;
        observed.push({ key: `${pid}:${stat.startTimeTicks}`, stat, rssBytes });
      }
      tally(tallies.get(name)!, observed, windowStartTicks);
    }
  };

  // A sample reads only the groups' own processes (a few dozen small /proc files): quick enough to
  // read synchronously, also beside a load client in this process.
  const sampleNow = () => {
    const roots = rootsNow();
    const stats = statsOfTrees([...roots.values()].flat());
    const trees = new Map([...roots].map(([name, pids]) => [name, treeOf(pids, stats)] as const));
    const rssOf = new Map<number, number>();
    for (const pid of new Set([...trees.values()].flat())) {
      try {
        rssOf.set(pid, parseStatm(fs.readFileSync(`/proc/${pid}/statm`, 'utf8')).residentPages * pageSizeBytes());
      } catch {
        // exited since the stat was read
      }
    }
    record(trees, stats, rssOf);
  };

  sampleNow();
  const timer = setInterval(() => {
    if (!stopped) sampleNow();
  }, intervalMs);
  timer.unref();

  return {
    stop() {
      if (!stopped) {
        stopped = true;
        clearInterval(timer);
        sampleNow();
      }
      const summaries: Record<string, ResourceSummary> = {};
      for (const [name, tallied] of tallies) summaries[name] = summarize(tallied);
      return summaries;
    },
  };
}

function tally(group: GroupTally, observed: Observation[], windowStartTicks: number): void {
  // A group with no live process (not started yet, or an external service) has nothing to average.
  if (observed.length === 0) return;
  let rssBytes = 0;
  for (const { key, stat, rssBytes: processRss } of observed) {
    const ticks = stat.utimeTicks + stat.stimeTicks;
    rssBytes += processRss;
    const known = group.cpu.get(key);
    if (known !== undefined) {
      known.lastTicks = ticks;
      continue;
    }
    // A process born during the window counts all its CPU; one that existed before counts from first sight.
    const bornInWindow = stat.startTimeTicks >= windowStartTicks;
    group.cpu.set(key, { baselineTicks: bornInWindow ? 0 : ticks, lastTicks: ticks });
  }
  group.samples += 1;
  group.rssTotalBytes += rssBytes;
  group.rssPeakBytes = Math.max(group.rssPeakBytes, rssBytes);
  group.maxProcesses = Math.max(group.maxProcesses, observed.length);
}

function summarize(group: GroupTally): ResourceSummary {
  let ticks = 0;
  for (const track of group.cpu.values()) ticks += track.lastTicks - track.baselineTicks;
  return {
    cpuSeconds: ticks / clockTicksPerSecond(),
    rssPeakBytes: group.rssPeakBytes,
    rssMeanBytes: group.samples === 0 ? 0 : Math.round(group.rssTotalBytes / group.samples),
    samples: group.samples,
    processes: group.maxProcesses,
  };
}
