import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../common/errors.js';
import { findExecutable } from './executables.js';
import { liveGroupMembers } from './sampler.js';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartProcessOptions {
  /** Short label for messages, e.g. "nginx" or "mariadbd". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** CPU list for `taskset -c`, e.g. "0" or "0,1". */
  cpus?: string;
  /** `nice -n`: how much lower than the lab's its scheduling priority is (its session's too). */
  niceness?: number;
  /** stdout and stderr are appended here; without it they are discarded. */
  logFile?: string;
  /** Also copy stdout/stderr to the lab's own, e.g. for a client's progress line. */
  inheritOutput?: boolean;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly name: string;
  readonly logFile: string | undefined;
  readonly exited: Promise<ProcessExit>;
  hasExited(): boolean;
  /** SIGTERM to the process group, SIGKILL after graceMs; idempotent; resolves once the process exited. */
  stop(graceMs?: number): Promise<void>;
}

// Live services in start order, so shutdown can go in reverse (the proxy before the app before the db).
const live: ManagedProcess[] = [];

// Services run in their own process groups, so they outlive a crashed lab unless told to go.
process.on('exit', () => {
  for (const service of live) signalGroup(service.pid, 'SIGTERM');
});

function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

const setpriv = findExecutable('setpriv');

/**
 * A service leads its own session, and where the kernel groups sessions for scheduling (autogroup)
 * a process's nice value counts only inside its session: the session's own niceness is set too.
 */
function lowerSessionPriority(pid: number, niceness: number): void {
  try {
    fs.writeFileSync(`/proc/${pid}/autogroup`, String(niceness));
  } catch {
    // No autogroup in this kernel: `nice` alone applies.
  }
}

/** Starts a command as the leader of its own process group, optionally pinned with taskset. */
export async function startProcess(options: StartProcessOptions): Promise<ManagedProcess> {
  // Checked here: behind setpriv or taskset, a missing command would only show as an exit code.
  if (findExecutable(options.command) === undefined) {
    throw new LabError('BL_ERR_MISSING_TOOL', `${options.command} not found (needed to start ${options.name})`);
  }
  // The kernel sends SIGTERM when the lab dies, even by SIGKILL: nginx and mariadbd cannot watch for that themselves.
  const [tied, tiedArgs] = setpriv === undefined ? [options.command, options.args] : [setpriv, ['--pdeathsig', 'SIGTERM', options.command, ...options.args]];
  const [niced, nicedArgs] = options.niceness === undefined ? [tied, tiedArgs] : ['nice', ['-n', String(options.niceness), tied, ...tiedArgs]];
  const [command, args] = options.cpus === undefined ? [niced, nicedArgs] : ['taskset', ['-c', options.cpus, niced, ...nicedArgs]];
  const piped = options.inheritOutput === true;
  const logFd = options.logFile === undefined || piped ? undefined : fs.openSync(options.logFile, 'a');
  const output = piped ? 'pipe' : (logFd ?? 'ignore');
  let exitInfo: ProcessExit | undefined;
  let managed: ManagedProcess | undefined;
  let child: ChildProcess;
  let exited: Promise<ProcessExit>;
  try {
    child = spawn(command, args, {
      detached: true,
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', output, output],
    });
    const copied = piped ? teeOutput(child, options.logFile) : Promise.resolve();
    exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', async (code: number | null, signal: NodeJS.Signals | null) => {
        // The log is complete when someone reads it after `exited`.
        await copied;
        exitInfo = { code, signal };
        if (managed !== undefined && live.includes(managed)) live.splice(live.indexOf(managed), 1);
        resolve(exitInfo);
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LabError('BL_ERR_MISSING_TOOL', `${command} not found (needed to start ${options.name})`);
    throw new LabError('BL_ERR_START', `cannot start ${options.name}: ${(error as Error).message}`);
  } finally {
    if (logFd !== undefined) fs.closeSync(logFd);
  }

  const pid = child.pid!;
  if (options.niceness !== undefined) lowerSessionPriority(pid, options.niceness);
  let stopping: Promise<void> | undefined;

  managed = {
    pid,
    name: options.name,
    logFile: options.logFile,
    exited,
    hasExited: () => exitInfo !== undefined,
    stop(graceMs = 5000) {
      stopping ??= stopGroup(pid, exited, graceMs);
      return stopping;
    },
  };
  live.push(managed);
  return managed;
}

function teeOutput(child: ChildProcess, logFile: string | undefined): Promise<void> {
  const log = logFile === undefined ? undefined : fs.createWriteStream(logFile, { flags: 'a' });
  const copy = (from: NodeJS.ReadableStream | null, to: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      if (from === null) return resolve();
      from.on('data', (chunk: Buffer) => {
        to.write(chunk);
        log?.write(chunk);
      });
      from.once('close', resolve);
    });
  return Promise.all([copy(child.stdout, process.stdout), copy(child.stderr, process.stderr)]).then(
    () => new Promise<void>((resolve) => (log === undefined ? resolve() : log.end(resolve))),
  );
}

/** A delay that ends early, without error, when `signal` aborts, so no timer outlives its race. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function stopGroup(pid: number, exited: Promise<ProcessExit>, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  const races = new AbortController();
  signalGroup(pid, 'SIGTERM');
  const leaderExited = await Promise.race([exited.then(() => true), pause(graceMs, races.signal).then(() => false)]);
  races.abort();
  if (leaderExited) {
    // Children (cluster workers, nginx workers) may still be finishing; give them the rest of the grace.
    while (Date.now() < deadline && liveGroupMembers(pid).length > 0) await sleep(50);
  }
  signalGroup(pid, 'SIGKILL');
  await exited;
}

/** Stops every live service, the most recently started first. */
export async function stopAll(graceMs = 5000): Promise<void> {
  for (const service of [...live].reverse()) await service.stop(graceMs);
}

export interface WaitForOptions {
  timeoutMs: number;
  intervalMs: number;
  /** What is awaited, as it should read in the error: "nginx on 127.0.0.1:8080". */
  what: string;
  /** Stop waiting at once when this process exits. */
  process?: ManagedProcess;
}

/** Polls `check` until it returns true; a check that throws counts as "not yet". */
export async function waitFor(check: () => Promise<boolean>, options: WaitForOptions): Promise<void> {
  const { timeoutMs, intervalMs, what, process: watched } = options;
  const deadline = Date.now() + timeoutMs;
  const timeout = Symbol('timeout');
  const died = Symbol('died');
  const deathWatch = watched === undefined ? new Promise<never>(() => {}) : watched.exited.then(() => died);
  for (;;) {
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) break;
    const round = new AbortController();
    const outcome = await Promise.race([
      Promise.resolve()
        .then(check)
        .catch(() => false),
      pause(remainingMs, round.signal).then(() => timeout),
      deathWatch,
    ]);
    round.abort();
    if (outcome === true) return;
    if (outcome === died || watched?.hasExited()) throw exitedEarly(what, watched!, await watched!.exited);
    if (outcome === timeout) break;
    const rest = new AbortController();
    await Promise.race([pause(Math.min(intervalMs, Math.max(0, deadline - Date.now())), rest.signal), deathWatch]);
    rest.abort();
  }
  if (watched?.hasExited()) throw exitedEarly(what, watched, await watched.exited);
  throw new LabError('BL_ERR_START', `${what} did not become ready within ${timeoutMs} ms`);
}

function exitedEarly(what: string, watched: ManagedProcess, exit: ProcessExit): LabError {
  const how = exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
  const tail = watched.logFile === undefined ? '' : logTail(watched.logFile);
  return new LabError('BL_ERR_START', `${what} exited (${how}) before it became ready${tail === '' ? '' : `: ${tail}`}`);
}

/** The last few non-empty lines of a log, joined into one line for an error message. */
export function logTail(file: string, lines = 3, maxChars = 400): string {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, 8192);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
  const tail = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line, index, all) => line !== '' && line !== all[index - 1])
    .slice(-lines)
    .join(' | ');
  return tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail;
}
