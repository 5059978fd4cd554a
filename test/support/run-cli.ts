import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { cliPath } from '../../lab/paths.js';
import { isRunning } from './live-process.js';

export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `benchlab ARGS` as a user would, optionally sending a signal once stderr matches `signalWhen`. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; signalWhen?: RegExp; signal?: NodeJS.Signals; timeoutMs?: number } = {},
): Promise<CliOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`benchlab ${args.join(' ')} did not finish within ${options.timeoutMs ?? 120_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!signalled && options.signalWhen?.test(stderr)) {
        signalled = true;
        child.kill(options.signal ?? 'SIGTERM');
      }
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Command lines of live processes that mention `needle` (zombies excluded). */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!isRunning(entry)) continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle)) found.push(`${entry}: ${cmdline}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** The processes mentioning `needle` still alive after up to `timeoutMs`: none, once a run has cleaned up. */
export async function settled(needle: string, timeoutMs = 8000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = processesMentioning(needle);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = processesMentioning(needle);
  }
  return left;
}
