// The load tools the benches compare, each run as its own process pinned with taskset, and the one
// figure each prints that matters here: requests per second.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { findExecutable } from '../lab/stack/executables.js';
import { cliPath } from '../lab/paths.js';
import { startProcess } from '../lab/stack/service.js';
import type { LoadResult } from '../common/result.js';
import { watchProcess } from './proc-watch.js';
import type { ProcFigures } from './proc-watch.js';

export interface ToolFigure {
  tool: string;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Failed requests or users, non-2xx answers and timeouts, as the tool counts them. */
  errors: number;
  /** CPU the tool's process used, start-up included. */
  cpuSeconds: number;
  /** VmHWM of the tool's process, and the peaks of its private and file-backed parts. */
  peakRssBytes: number;
  peakAnonBytes: number;
  peakFileBytes: number;
  /** Why there is no figure (tool missing, run failed). */
  missing?: string;
}

export interface ToolRun {
  url: string;
  /** taskset list, or undefined to leave the tool unpinned. */
  cpus: string | undefined;
  /** Logs and result files go here. */
  workDir: string;
}

const require = createRequire(import.meta.url);

export interface PinnedExit extends ProcFigures {
  code: number | null;
  /** What it printed on stdout and stderr. */
  output: string;
}

/** Runs a command pinned to `cpus` (taskset execs it, so the pid is the command's own), stopped in any case. */
export async function runPinned(name: string, command: string, args: string[], run: Pick<ToolRun, 'cpus' | 'workDir'>): Promise<PinnedExit> {
  const logFile = path.join(run.workDir, `${name}.log`);
  fs.writeFileSync(logFile, '');
  const child = await startProcess({ name, command, args, logFile, ...(run.cpus !== undefined ? { cpus: run.cpus } : {}) });
  const watch = watchProcess(child.pid);
  try {
    const exit = await child.exited;
    return { code: exit.code, output: fs.readFileSync(logFile, 'utf8'), ...watch.stop() };
  } finally {
    watch.stop();
    await child.stop();
  }
}

function missing(tool: string, why: string): ToolFigure {
  return { tool, requests: 0, seconds: 0, requestsPerSecond: 0, errors: 0, cpuSeconds: 0, peakRssBytes: 0, peakAnonBytes: 0, peakFileBytes: 0, missing: why };
}

function figure(tool: string, requests: number, seconds: number, errors: number, exit: PinnedExit): ToolFigure {
  return {
    tool,
    requests,
    seconds,
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
    errors,
    cpuSeconds: exit.cpuSeconds,
    peakRssBytes: exit.peakRssBytes,
    peakAnonBytes: exit.peakAnonBytes,
    peakFileBytes: exit.peakFileBytes,
  };
}

export interface ScenarioClientOptions {
  users: number;
  /** Over how long the users arrive; 0 starts them all as fast as the client can. */
  rampSeconds: number;
  expectBackend: string;
  checkOwnPost: boolean;
  /** Names the process's log and result files, so several clients can run at once. */
  name?: string;
  /** Event loops (worker threads) of the one process sharing its users (`--threads`). */
  threads?: number;
}

/** benchlab's own scenario client (`benchlab load`), three requests per user on its own connection. */
export async function runScenarioClient(run: ToolRun, options: ScenarioClientOptions): Promise<ToolFigure & { result?: LoadResult }> {
  const tool = 'benchlab load';
  const name = options.name ?? 'benchlab-load';
  const out = path.join(run.workDir, `${name}.json`);
  fs.rmSync(out, { force: true });
  const args = [
    cliPath,
    'load',
    '--target',
    run.url,
    '--users',
    String(options.users),
    '--ramp',
    String(options.rampSeconds),
    '--expect-backend',
    options.expectBackend,
    '--timeout',
    '10000',
    '--quiet',
    '--out',
    out,
  ];
  if (!options.checkOwnPost) args.push('--no-check-own-post');
  if (options.threads !== undefined) args.push('--threads', String(options.threads));
  const exit = await runPinned(name, process.execPath, args, run);
  if (exit.code !== 0 || !fs.existsSync(out)) return missing(tool, `exited with ${exit.code}: ${exit.output.trim().split('\n').at(-1) ?? ''}`);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as LoadResult;
  const measured = figure(tool, result.requests.total, result.durationSeconds, result.users.failed, exit);
  // The client's own count covers just the run, without node's start-up.
  if (result.client !== undefined) measured.cpuSeconds = (result.client.cpuSeconds * result.durationSeconds) / result.client.wallSeconds;
  return { ...measured, result };
}

/** ApacheBench: a new connection for every request, like a browser without keep-alive. */
export async function runAb(run: ToolRun, seconds: number, connections: number): Promise<ToolFigure> {
  const binary = findExecutable('ab');
  if (binary === undefined) return missing('ab', 'not installed (apt-get install apache2-utils)');
  // -n only caps the count; -t ends the run.
  const exit = await runPinned('ab', binary, ['-q', '-t', String(seconds), '-n', '100000000', '-c', String(connections), `${run.url}/`], run);
  const { output } = exit;
  const complete = /Complete requests:\s+(\d+)/.exec(output);
  const took = /Time taken for tests:\s+([\d.]+)/.exec(output);
  if (complete === null || took === null) return missing('ab', `no figures in its output: ${output.trim().split('\n').at(-1) ?? ''}`);
  const failed = Number(/Failed requests:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  return figure('ab', Number(complete[1]), Number(took[1]), failed + non2xx, exit);
}

/** wrk: one thread, kept-alive connections. */
export async function runWrk(run: ToolRun, seconds: number, connections: number): Promise<ToolFigure> {
  const binary = findExecutable('wrk');
  if (binary === undefined) return missing('wrk', 'not installed (apt-get install wrk)');
  const exit = await runPinned('wrk', binary, ['-t1', `-c${connections}`, `-d${seconds}s`, `${run.url}/`], run);
  const { output } = exit;
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(output);
  if (total === null) return missing('wrk', `no figures in its output: ${output.trim().split('\n').at(-1) ?? ''}`);
  const unit = total[3] === 'ms' ? 0.001 : total[3] === 'm' ? 60 : 1;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const errors = non2xx + (socketErrors === null ? 0 : socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0));
  return figure('wrk', Number(total[1]), Number(total[2]) * unit, errors, exit);
}

export interface AutocannonOptions {
  seconds: number;
  connections: number;
  /** Shown in the figure's tool column. */
  label?: string;
}

/** autocannon (the npm dependency) in its own process: kept-alive connections, closed model. */
export async function runAutocannon(run: ToolRun, options: AutocannonOptions): Promise<ToolFigure> {
  const tool = options.label ?? 'autocannon';
  const script = require.resolve('autocannon/autocannon.js');
  const args = [script, '-j', '-c', String(options.connections), '-d', String(options.seconds), `${run.url}/`];
  const exit = await runPinned('autocannon', process.execPath, args, run);
  const { output } = exit;
  const json = output.slice(output.indexOf('{'), output.lastIndexOf('}') + 1);
  let parsed: { requests: { total: number }; duration: number; errors: number; timeouts: number; non2xx: number };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    return missing(tool, `no JSON in its output: ${output.trim().split('\n').at(-1) ?? ''}`);
  }
  return figure(tool, parsed.requests.total, parsed.duration, parsed.errors + parsed.timeouts + parsed.non2xx, exit);
}
