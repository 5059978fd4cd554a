// The measured load's client processes: `benchlab load` pinned to the client CPUs, started ahead,
// waiting at a start gate, each taking its share of one schedule; their results merged exactly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUN_DEFAULTS } from '../common/defaults.js';
import { LabError } from '../common/errors.js';
import type { LoadResult, PeakResult } from '../common/result.js';
import { scheduledUsers } from '../client/load.js';
import { shareOf } from '../client/load-threads.js';
import { cpusOf, mergeLoadResults } from '../client/merge-results.js';
import { measurementTag } from '../client/post-marker.js';
import { cliPath } from './paths.js';
import type { RunOptions } from './run-options.js';
import { watchProgressFiles } from './progress/client-progress-file.js';
import { cpuSet } from './stack/confine.js';
import { childOfThisLab } from './stack/parent-watch.js';
import { startProcess, type ManagedProcess } from './stack/service.js';
import { openStartGate, READY_FILE_ENV, START_GATE_ENV } from './stack/start-gate.js';
import type { VariantStack } from './stack/variant-stack.js';
import type { VariantRunContext } from './variant-run.js';

/** The load of one measurement; the run's options give the defaults. */
export interface MeasuredLoad {
  users: number;
  rampSeconds: number;
  /** Distinguishes several measurements of one variant in file names and posted markers. */
  label: string;
  /** What a progress display says about this measurement, e.g. "400 users/s". */
  detail?: string;
  /** Arrival-rate stages, replacing users over the ramp. */
  stages?: string | undefined;
}

/**
 * How client process `k` of `processes` takes its share of the measured users: a closed pool and
 * an in-flight cap are split between the processes (together they are the run's), arrivals by
 * shard; each process's users are shared again by its event loops.
 */
function arrivalArgs(target: string, load: MeasuredLoad, o: RunOptions, processes: number, k: number): string[] {
  const cap = o.maxActive !== undefined ? shareOf(o.maxActive, processes, k) : undefined;
  const capArgs = cap !== undefined ? ['--max-active', String(cap), '--on-saturation', o.onSaturation ?? 'wait'] : [];
  if (o.closed) {
    const connections = shareOf(o.closed.connections, processes, k);
    return ['--mode', 'closed', '--connections', String(connections), '--duration', String(o.closed.durationSeconds), ...threadArgs(o, connections, cap)];
  }
  const arrivals = load.stages ? ['--stages', load.stages] : ['--users', String(load.users), '--ramp', String(load.rampSeconds)];
  const shard = { index: k, count: processes };
  const users = scheduledUsers({ target, users: load.users, rampSeconds: load.rampSeconds, stages: load.stages, arrival: o.arrival, shard });
  return [...arrivals, ...(processes > 1 ? ['--shard', `${k}/${processes}`] : []), ...capArgs, ...threadArgs(o, users, cap)];
}

/**
 * `--self-warm-users` for a measuring client: a fresh process started its first users up to 35 ms
 * late in its first second, cold (client/self-warm.ts); each of its event loops warms its own code,
 * the loops sharing the self-warm's rate. It boots while the variant warms up, so the time is not
 * the run's. `--warmup-users 0` asks for a cold measurement: the clients then skip theirs too.
 */
export function selfWarmArgs(o: Pick<RunOptions, 'warmupUsers'>): string[] {
  return o.warmupUsers === 0 || RUN_DEFAULTS.clientSelfWarmUsers === 0 ? [] : ['--self-warm-users', String(RUN_DEFAULTS.clientSelfWarmUsers)];
}

/** Client processes for a measurement: never more than there are users, pool connections or in-flight slots to share. */
export function measuringProcesses(o: Pick<RunOptions, 'clientProcs' | 'closed' | 'maxActive'>, users: number): number {
  return Math.min(o.clientProcs, o.closed ? o.closed.connections : users, o.maxActive ?? Number.POSITIVE_INFINITY);
}

/** `--threads`, never more than a process has users or slots for. */
function threadArgs(o: RunOptions, users: number, cap: number | undefined): string[] {
  const threads = Math.min(o.clientThreads, Math.max(1, users), cap ?? Number.POSITIVE_INFINITY);
  return threads > 1 ? ['--threads', String(threads)] : [];
}

// How long measuring clients may take to boot before the lab gives up on them.
const CLIENT_READY_TIMEOUT_MS = 60_000;

/** A `benchlab load` process pinned to the client CPUs, stopping with the lab; `env` adds to the lab's. */
export function startClient(name: string, args: string[], logFile: string, ctx: VariantRunContext, env: Record<string, string> = {}): Promise<ManagedProcess> {
  return startProcess({
    name,
    command: process.execPath,
    args: [cliPath, 'load', ...args, '--quiet'],
    ...(ctx.options.clientCpus !== undefined ? { cpus: ctx.options.clientCpus } : {}),
    logFile,
    // A BENCHLAB_START_AT meant for compose clients must not leak in.
    env: childOfThisLab({ ...process.env, BENCHLAB_START_AT: '', ...env }),
  });
}

/** The JSON a finished client wrote, or one line saying which client failed and where its log is. */
export async function clientOutput<T>(client: ManagedProcess, out: string, what: string): Promise<T> {
  const exit = await client.exited;
  if (exit.code !== 0 || !fs.existsSync(out)) {
    throw new LabError('BL_ERR_START', `${what} failed (${exit.signal ?? `code ${exit.code}`}); see ${client.logFile}`);
  }
  return JSON.parse(fs.readFileSync(out, 'utf8')) as T;
}

/** The measured load's client processes, booted and waiting at their start gate. */
export interface MeasuringClients {
  load: MeasuredLoad;
  gate: string;
  /** The run tag of each client's markers: this measurement's, and no other's. */
  tags: string[];
  clients: Array<{ client: ManagedProcess; out: string; progressFile: string; readyFile: string }>;
  /** Stops every client that is still running (a run that ends before the measurement). */
  stop(): Promise<void>;
}

/**
 * Starts the measured load's `benchlab load` processes, pinned to the client CPUs, ahead of the
 * measurement: they boot while the variant warms up and wait at a start gate. With several, each
 * takes every n-th arrival of one schedule, all from one common start.
 */
export async function startMeasuringClients(stack: VariantStack, load: MeasuredLoad, ctx: VariantRunContext): Promise<MeasuringClients> {
  const o = ctx.options;
  const name = stack.variant.name;
  const count = measuringProcesses(o, load.users);
  const tag = measurementTag(ctx.runTag, load.label);
  const tags = Array.from({ length: count }, (_, k) => (count > 1 ? `${tag}c${k}` : tag));
  const gate = path.join(ctx.workDir, `${load.label}.start`);
  fs.rmSync(gate, { force: true });
  const clients: MeasuringClients['clients'] = [];
  const stop = async () => {
    await Promise.all(clients.map((c) => c.client.stop()));
  };
  try {
    for (let k = 0; k < count; k++) {
      const suffix = count > 1 ? `.c${k}` : '';
      const out = path.join(ctx.workDir, `${load.label}${suffix}.load.json`);
      const progressFile = path.join(ctx.workDir, `${load.label}${suffix}.progress.json`);
      const readyFile = path.join(ctx.workDir, `${load.label}${suffix}.ready`);
      fs.rmSync(readyFile, { force: true });
      const loadArgs = arrivalArgs(stack.target, load, o, count, k);
      const client = await startClient(
        'client',
        [
          '--target',
          stack.target,
          ...loadArgs,
          '--timeout',
          String(o.timeoutMs),
          '--arrival',
          o.arrival,
          '--label',
          name,
          '--expect-backend',
          name,
          '--run-tag',
          tags[k]!,
          '--out',
          out,
          ...(ctx.progress !== undefined ? ['--progress-file', progressFile] : []),
          ...selfWarmArgs(o),
        ],
        path.join(ctx.workDir, `${load.label}${suffix}.client.log`),
        ctx,
        { [START_GATE_ENV]: gate, [READY_FILE_ENV]: readyFile },
      );
      clients.push({ client, out, progressFile, readyFile });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { load, gate, tags, clients, stop };
}

/** Opens the clients' start gate, follows their progress, and merges their results exactly (histograms added, never averaged). */
export async function runMeasuringClients(
  m: MeasuringClients,
  stack: VariantStack,
  ctx: VariantRunContext,
  onStarted?: (startMs: number) => void,
  /** Runs once every client is ready, just before the gate opens: readings that would cost the clients' first moments. */
  beforeOpen?: () => void | Promise<void>,
): Promise<LoadResult> {
  const gated = m.clients.map((c) => ({ readyFile: c.readyFile, hasExited: () => c.client.hasExited() }));
  const startMs = await openStartGate(m.gate, gated, ctx.signal, CLIENT_READY_TIMEOUT_MS, beforeOpen);
  onStarted?.(startMs);
  const progress = ctx.progress;
  const stopWatching =
    progress === undefined
      ? () => {}
      : watchProgressFiles(
          m.clients.map((c) => c.progressFile),
          (p) => progress.load(p),
        );
  await Promise.all(m.clients.map((c) => c.client.exited)).finally(stopWatching);
  const shards = [];
  for (const { client, out } of m.clients) {
    shards.push({ source: out, result: await clientOutput<LoadResult>(client, out, `the client for ${stack.variant.name}`) });
  }
  if (shards.length === 1) return shards[0]!.result;
  return withSharedCpus(mergeLoadResults(shards), ctx.options.clientCpus);
}

/**
 * Client processes pinned to fewer CPUs than they have event loops share them: the saturation
 * check divides their CPU time by the CPUs, so that one saturated CPU under four processes shows.
 */
function withSharedCpus(result: LoadResult, clientCpus: string | undefined): LoadResult {
  const client = result.client;
  if (client === undefined) return result;
  const available = clientCpus !== undefined ? cpuSet(clientCpus).length : os.availableParallelism();
  return cpusOf(client) <= available ? result : { ...result, client: { ...client, cpus: available } };
}

/** The closed model's second figure: plain GET / as fast as the variant answers (client/peak.ts), pinned like the client. */
export async function getPeak(stack: VariantStack, load: MeasuredLoad, ctx: VariantRunContext): Promise<PeakResult> {
  const closed = ctx.options.closed!;
  const out = path.join(ctx.workDir, `${load.label}.peak.json`);
  const args = [
    '--target',
    stack.target,
    '--mode',
    'peak',
    '--connections',
    String(closed.connections),
    '--duration',
    String(closed.durationSeconds),
    '--out',
    out,
  ];
  const client = await startClient('peak', args, path.join(ctx.workDir, `${load.label}.peak.log`), ctx);
  return clientOutput<PeakResult>(client, out, `the GET / peak for ${stack.variant.name}`);
}
