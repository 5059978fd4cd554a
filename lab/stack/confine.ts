// A variant starts on every CPU the lab uses (the client's are idle during set-up) and is confined
// to the server CPUs once it is up, before anything is measured: every thread of every process of
// its tree, checked in /proc afterwards. Threads and processes it starts later inherit the mask.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
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
      try {
        const allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1];
        return allowed !== undefined && cpuSet(allowed).join(',') !== target;
      } catch {
        return false;
      }
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
      try {
        const allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1];
        if (allowed !== undefined) threads.set(Number(tid), allowed);
      } catch {
        // A thread that ended meanwhile needs nothing.
      }
    }
    byPid.set(pid, threads);
  }
  return byPid;
}

/**
 * Confines processes the lab did not start (the machine's own database server) to `cpus` for a
 * run, every thread, and gives back a function that restores each thread's own CPUs; threads
 * started meanwhile get their process's main thread's.
 */
export async function confineForRun(pids: readonly number[], cpus: string, what: string): Promise<() => Promise<void>> {
  const before = threadAffinities(pids);
  for (let round = 0; round < ROUNDS && strayProcesses([...pids], cpus).length > 0; round++) {
    await Promise.all(pids.map((pid) => execFileAsync('taskset', ['-a', '-p', '-c', cpus, String(pid)]).catch(() => undefined)));
  }
  if (strayProcesses([...pids], cpus).length > 0) throw new LabError('BL_ERR_START', `could not confine ${what} to CPUs ${cpus}`);
  return async () => {
    const now = threadAffinities(pids);
    const restores: Array<Promise<unknown>> = [];
    for (const [pid, threads] of now) {
      const saved = before.get(pid);
      const main = saved?.get(pid);
      if (saved === undefined || main === undefined) continue;
      for (const tid of threads.keys()) {
        restores.push(execFileAsync('taskset', ['-p', '-c', saved.get(tid) ?? main, String(tid)]).catch(() => undefined));
      }
    }
    await Promise.all(restores);
  };
}
