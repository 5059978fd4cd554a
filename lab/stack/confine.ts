// A variant starts on every CPU the lab uses (the client's are idle during set-up) and is confined
// to the server CPUs once it is up, before anything is measured: every thread of every process of
// its tree, checked in /proc afterwards. Threads and processes it starts later inherit the mask.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LabError } from '../../common/errors.js';
import { parseCpuList } from '../../common/option-parsers.js';
import { processTree } from './sampler.js';

const execFileAsync = promisify(execFile);
// A process may fork while it is being confined; each round confines what the last one missed.
const ROUNDS = 5;

/** The CPUs of a list like "0-2,5", sorted; the same parsing as --server-cpus, for lists from /proc too. */
export function cpuSet(list: string): number[] {
  try {
    return parseCpuList('--server-cpus', list, Number.MAX_SAFE_INTEGER);
  } catch {
    throw new Error(`not a CPU list: "${list}"`);
  }
}

/** Both lists in one, for `taskset -c`. */
export function cpuUnion(a: string, b: string): string {
  return cpuSet(`${a},${b}`).join(',');
}

/** The CPUs a process (its main thread) or one of its threads may run on now (Cpus_allowed_list); undefined when it is gone. */
export function allowedCpus(pid: number, tid: number | string = pid): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The processes of the tree that have a thread allowed on other CPUs than `wanted`. */
export function strayProcesses(pids: number[], wanted: string): number[] {
  const target = cpuSet(wanted).join(',');
  return pids.filter((pid) => {
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      return false;
    }
    return tasks.some((tid) => {
      const allowed = allowedCpus(pid, tid);
      return allowed !== undefined && cpuSet(allowed).join(',') !== target;
    });
  });
}

/** Confines the process tree under rootPid, every thread, to `cpus`. */
export async function confineTree(rootPid: number, cpus: string, what: string): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const stray = strayProcesses(processTree([rootPid]), cpus);
    if (stray.length === 0) return;
    // A process that exits meanwhile needs no confining; the next round sees what is left.
    await Promise.all(stray.map((pid) => execFileAsync('taskset', ['-a', '-p', '-c', cpus, String(pid)]).catch(() => undefined)));
  }
  if (strayProcesses(processTree([rootPid]), cpus).length > 0) {
    throw new LabError('BL_ERR_START', `could not confine ${what} to CPUs ${cpus}`);
  }
}

/** Each thread's allowed CPUs now, by thread id, for the processes given. */
function threadAffinities(pids: readonly number[]): Map<number, Map<number, string>> {
  const byPid = new Map<number, Map<number, string>>();
  for (const pid of pids) {
    const threads = new Map<number, string>();
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      // A thread that ended meanwhile needs nothing.
      const allowed = allowedCpus(pid, tid);
      if (allowed !== undefined) threads.set(Number(tid), allowed);
    }
    byPid.set(pid, threads);
  }
  return byPid;
}

/** When the process started, in clock ticks since boot: a pid with another start is another process. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What a run that confines a server it did not start leaves on disk until it has restored it: the
 * lab's pid and each thread's own CPUs. A run killed with SIGKILL cannot restore anything; the next
 * run finds the record of a lab that is gone and restores the server first.
 */
interface ConfinementRecord {
  lab: number;
  pid: number;
  started: string;
  threads: Record<string, string>;
}

export const CONFINEMENT_DIR = path.join(os.tmpdir(), 'benchlab-confined');

function recordPath(pid: number): string {
  return path.join(CONFINEMENT_DIR, `${pid}.json`);
}

function readRecord(pid: number): ConfinementRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(recordPath(pid), 'utf8')) as ConfinementRecord;
    if (record.pid !== pid || record.started !== startTicks(pid)) return undefined;
    return record;
  } catch {
    return undefined;
  }
}

type Affinities = Map<number, Map<number, string>>;

/** Gives every thread of the processes its saved CPUs (its process's main thread's when it has none saved). */
async function restoreAffinities(saved: Affinities): Promise<void> {
  // The server may start threads while it is being restored, from a thread still confined; each
  // round restores what the last one missed, the main thread first so that it starts no more.
  for (let round = 0; round < ROUNDS; round++) {
    let restored = 0;
    for (const [pid, threads] of threadAffinities([...saved.keys()])) {
      const own = saved.get(pid)!;
      const main = own.get(pid);
      if (main === undefined) continue;
      const wrong = [...threads].filter(([tid, list]) => cpuSet(list).join(',') !== cpuSet(own.get(tid) ?? main).join(','));
      wrong.sort(([a], [b]) => (a === pid ? -1 : b === pid ? 1 : 0));
      for (const [tid] of wrong) {
        await execFileAsync('taskset', ['-p', '-c', own.get(tid) ?? main, String(tid)]).catch(() => undefined);
        restored++;
      }
    }
    if (restored === 0) return;
  }
}

function affinitiesOf(record: ConfinementRecord): Affinities {
  return new Map([[record.pid, new Map(Object.entries(record.threads).map(([tid, list]) => [Number(tid), list]))]]);
}

/**
 * Restores what a killed run left confined, for the processes given, and says so. A record whose
 * lab still runs is another run's: its saved CPUs are the server's own.
 */
async function ownAffinities(pids: readonly number[], log: (line: string) => void): Promise<{ own: Affinities; held: number[] }> {
  const own = threadAffinities(pids);
  const held: number[] = [];
  for (const pid of pids) {
    const record = readRecord(pid);
    if (record === undefined) continue;
    if (alive(record.lab) && record.lab !== process.pid) {
      held.push(pid);
    } else {
      await restoreAffinities(affinitiesOf(record));
      fs.rmSync(recordPath(pid), { force: true });
      log(`database: restored the CPUs of the server (pid ${pid}) that an interrupted run (pid ${record.lab}) left confined`);
    }
    own.set(pid, affinitiesOf(record).get(pid)!);
  }
  return { own, held };
}

/**
 * Confines processes the lab did not start (the machine's own database server) to `cpus` for a
 * run, every thread, and gives back a function that restores each thread's own CPUs; threads
 * started meanwhile get their process's main thread's. A record on disk lets the next run restore
 * them if this one is killed before it can.
 */
export async function confineForRun(
  pids: readonly number[],
  cpus: string,
  what: string,
  log: (line: string) => void = () => undefined,
): Promise<() => Promise<void>> {
  const { own, held } = await ownAffinities(pids, log);
  const recorded: number[] = [];
  fs.mkdirSync(CONFINEMENT_DIR, { recursive: true });
  for (const pid of pids) {
    const started = startTicks(pid);
    if (held.includes(pid) || started === undefined) continue;
    const record: ConfinementRecord = { lab: process.pid, pid, started, threads: Object.fromEntries(own.get(pid) ?? []) };
    fs.writeFileSync(recordPath(pid), `${JSON.stringify(record)}\n`);
    recorded.push(pid);
  }
  const restore = async () => {
    // A server another run still holds stays confined; that run restores it.
    const mine = new Map([...own].filter(([pid]) => !held.some((other) => other === pid && readRecord(pid) !== undefined)));
    await restoreAffinities(mine);
    for (const pid of recorded) fs.rmSync(recordPath(pid), { force: true });
  };
  for (let round = 0; round < ROUNDS && strayProcesses([...pids], cpus).length > 0; round++) {
    await Promise.all(pids.map((pid) => execFileAsync('taskset', ['-a', '-p', '-c', cpus, String(pid)]).catch(() => undefined)));
  }
  if (strayProcesses([...pids], cpus).length > 0) {
    await restore();
    throw new LabError('BL_ERR_START', `could not confine ${what} to CPUs ${cpus}`);
  }
  return restore;
}

/**
 * Keeps the lab's own process (its sampling, log reading and progress, every thread) on `cpus`,
 * the client's, for a pinned run: left on every CPU it would take time from the server CPUs. It
 * shows in the client CPUs' "other work" as the lab's own. Returns what gives each thread its CPUs
 * back; the processes the lab starts are pinned by their own taskset.
 */
export async function keepLabOn(cpus: string): Promise<() => Promise<void>> {
  const saved = threadAffinities([process.pid]);
  await execFileAsync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)]);
  return () => restoreAffinities(saved);
}
