import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { cliPath } from '../../lab/paths.js';
import { isRunning } from './live-process.js';

// A `benchlab run` under test, with a marker in its environment that every process it starts
// inherits, so the test can find them all (nginx rewrites its own environment: it is found by its
// command line, which names the run's folder).

const MARKER_ENV = 'BENCHLAB_TEST_MARKER';

export interface LabProcess {
  child: ChildProcess;
  marker: string;
  outDir: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startLab(args: string[], outDir: string, env: NodeJS.ProcessEnv = {}): LabProcess {
  const marker = randomBytes(8).toString('hex');
  const child = spawn(process.execPath, [cliPath, 'run', ...args, '--out', outDir], {
    env: { ...process.env, ...env, [MARKER_ENV]: marker },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, marker, outDir, stdout: () => stdout, stderr: () => stderr, exited };
}

export interface FoundProcess {
  pid: number;
  cmdline: string;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Live processes of this lab run (the lab itself included), zombies excluded. */
export function processesOf(lab: LabProcess): FoundProcess[] {
  const found: FoundProcess[] = [];
  const tag = `${MARKER_ENV}=${lab.marker}`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    if (!isRunning(entry)) continue;
    const cmdline = readOr(`/proc/${entry}/cmdline`).replace(/\0/g, ' ');
    const environ = readOr(`/proc/${entry}/environ`).split('\0');
    if (environ.includes(tag) || cmdline.includes(lab.outDir)) found.push({ pid: Number(entry), cmdline });
  }
  return found;
}

/** Polls `check` until it holds; `what` may be a function, to name what was seen by the deadline. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${typeof what === 'string' ? what : what()}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Kills whatever of the run is left (the lab's own cleanup failed, or it was SIGKILLed). */
export function killLeftovers(lab: LabProcess): void {
  for (const { pid } of processesOf(lab)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
