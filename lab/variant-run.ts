import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../common/errors.js';
import { cliPath } from './paths.js';
import { startProcess, type ManagedProcess } from './stack/service.js';
import { childOfThisLab } from './stack/parent-watch.js';
import { scheduleFaults } from './faults/kinds.js';
import { faultInjector } from './faults/injectors.js';
import { startSampler, type Sampler } from './stack/sampler.js';
import { startVariantStack, type VariantStack, type VariantStackOptions } from './stack/variant-stack.js';
import type { Database } from './stack/database.js';
import type { RunOptions } from './run-options.js';
import { runLoad, scheduledUsers, warmUp } from '../client/load.js';
import type { FaultRecord, LoadResult, ResourceSummary, VariantResult } from '../common/result.js';
import type { VariantSpec } from '../apps/variants.js';
import type { Verification } from '../common/finding.js';
import { startCopyWithoutDatabase, verifyAllButDatabaseDown, type CopyWithoutDatabase, type PartialVerification } from './verify.js';
import { accessLogSince, fileSize, timeSplitOf } from './stack/time-split.js';
import { integrityOf } from '../common/integrity.js';
import { measurementTag } from '../client/post-marker.js';
import { cpusOf, mergeLoadResults } from '../client/merge-results.js';
import { clientValidity, peakValidity } from './validity.js';
import type { PeakResult } from '../client/peak.js';
import { watchProgressFiles } from './progress/client-progress-file.js';
import { cpuSet, cpuUnion } from './stack/confine.js';
import { shareOf } from '../client/load-threads.js';
import { openStartGate, READY_FILE_ENV, START_GATE_ENV } from './stack/start-gate.js';
import type { VariantProgress } from './progress/phase-reporter.js';

export interface VariantRunContext {
  options: RunOptions;
  database: Database;
  /** Where logs and the client's raw result go. */
  workDir: string;
  runTag: string;
  log(line: string): void;
  signal: AbortSignal;
  /** Phases and the measuring client's live counts, for a progress display. */
  progress?: VariantProgress | undefined;
}

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
function startClient(name: string, args: string[], logFile: string, ctx: VariantRunContext, env: Record<string, string> = {}): Promise<ManagedProcess> {
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
async function clientOutput<T>(client: ManagedProcess, out: string, what: string): Promise<T> {
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
      const client = await startClient(
        'client',
        [
          '--target',
          stack.target,
          ...arrivalArgs(stack.target, load, o, count, k),
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
async function runMeasuringClients(m: MeasuringClients, stack: VariantStack, ctx: VariantRunContext, onStarted?: () => void): Promise<LoadResult> {
  const gated = m.clients.map((c) => ({ readyFile: c.readyFile, hasExited: () => c.client.hasExited() }));
  await openStartGate(m.gate, gated, ctx.signal, CLIENT_READY_TIMEOUT_MS);
  onStarted?.();
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
async function getPeak(stack: VariantStack, load: MeasuredLoad, ctx: VariantRunContext): Promise<PeakResult> {
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

type Validity = { valid: boolean; reasons: string[] };
const bothValid = (a: Validity, b: Validity | undefined): Validity =>
  b === undefined ? a : { valid: a.valid && b.valid, reasons: [...a.reasons, ...b.reasons] };

/** Tags of the uncounted users before a measurement: a late write of theirs is told apart from a foreign row. */
const checkTag = (runTag: string) => `${runTag}c`;
const warmupTag = (runTag: string) => `${runTag}w`;

/** One user through GET, POST+302, GET, then uncounted warm-up users. */
export async function checkAndWarm(stack: VariantStack, ctx: VariantRunContext): Promise<void> {
  const o = ctx.options;
  const name = stack.variant.name;
  const base = { target: stack.target, variant: name, timeoutMs: o.timeoutMs, arrival: 'uniform' as const, expectBackend: name, checkOwnPost: true };
  // An empty table, or the check's user could pass on a page that verification filled, whatever became of its post.
  await ctx.database.resetTable();
  const check = await runLoad({ ...base, users: 1, rampSeconds: 0, runTag: checkTag(ctx.runTag) }, { signal: ctx.signal });
  if (check.users.ok !== 1) {
    throw new LabError('BL_ERR_CHECK', `failed the one-user check (GET, POST+302, GET): ${Object.keys(check.errors).join(', ')}`);
  }
  if (o.warmupUsers > 0) await warmUp(base, o.warmupUsers, warmupTag(ctx.runTag), ctx.signal);
}

/**
 * Empties the table, loads the running stack while sampling its processes, and audits every write.
 * `clients` are the load's processes started ahead (startMeasuringClients); without, they start here.
 */
export async function measureStack(stack: VariantStack, load: MeasuredLoad, ctx: VariantRunContext, clients?: MeasuringClients): Promise<VariantResult> {
  // A Ctrl-C during the warm-up ends the run there, rather than starting a client against stopped servers.
  ctx.signal.throwIfAborted();
  // Only the measured users' posts may be in the table when it is audited.
  await ctx.database.resetTable();
  let sampler: Sampler | undefined;
  let result: LoadResult;
  let resources: Record<string, ResourceSummary> | undefined;
  const logOffset = fileSize(stack.nginx.accessLog);
  const faults = ctx.options.faults?.length
    ? scheduleFaults(ctx.options.faults, faultInjector(stack, ctx.database), (line) => ctx.log(`${stack.variant.name}: ${line}`))
    : undefined;
  let injected: FaultRecord[] | undefined;
  let measuring: MeasuringClients;
  try {
    ctx.log(`${stack.variant.name}: ${load.stages ? `stages ${load.stages}` : `${load.users} users over ${load.rampSeconds} s`}`);
    ctx.progress?.phase({
      variant: stack.variant.name,
      phase: 'measuring',
      expectedSeconds: load.rampSeconds,
      ...(load.detail !== undefined ? { detail: load.detail } : {}),
    });
    measuring = clients ?? (await startMeasuringClients(stack, load, ctx));
    // The window opens with the start gate: the clients' boot and wait are not the server's figures.
    result = await runMeasuringClients(measuring, stack, ctx, () => {
      sampler = startSampler({
        server: () => [stack.app.pid],
        nginx: () => stack.nginx.pids(),
        database: () => ctx.database.pids(),
      });
      faults?.start();
    });
  } finally {
    resources = sampler?.stop();
    injected = await faults?.settle();
  }
  ctx.progress?.phase({ variant: stack.variant.name, phase: 'auditing' });
  const peak = ctx.options.closed ? await getPeak(stack, load, ctx) : undefined;
  const audit = await ctx.database.auditMeasurement(result.posts.acceptedMarkers, {
    measured: measuring.tags,
    warmup: [checkTag(ctx.runTag), warmupTag(ctx.runTag)],
  });
  const integrity = integrityOf(result.posts, result.users.failed, audit);
  return {
    ...result,
    validity: bothValid(clientValidity(result, ctx.options.maxLatenessMs), peak ? peakValidity(peak) : undefined),
    integrity,
    ...(injected ? { faults: injected } : {}),
    timeSplit: timeSplitOf(accessLogSince(stack.nginx.accessLog, logOffset)),
    ...(peak ? { peak } : {}),
    server: resources?.['server'] ?? null,
    nginx: resources?.['nginx'] ?? null,
    // The machine's own server is sampled when it runs here in sight; one elsewhere has no figures.
    database: ctx.database.pids().length > 0 ? (resources?.['database'] ?? null) : null,
    // Measured only after the verification and the one-user check passed.
    setup: { startMs: stack.startMs, workers: stack.workers, contractCheck: 'pass' },
  };
}

export function stackOptions(ctx: VariantRunContext): VariantStackOptions {
  return stackOptionsOf(ctx.options, ctx.database, ctx.workDir);
}

export function stackOptionsOf(o: RunOptions, database: Database, workDir: string): VariantStackOptions {
  return {
    databaseUrl: database.url,
    workers: o.workers,
    threads: o.threads,
    dbPool: o.dbPool,
    backlog: o.backlog,
    appSocket: o.appSocket,
    upstreamKeepalive: o.upstreamKeepalive,
    nginxWorkers: o.nginxWorkers,
    serverCpus: o.serverCpus,
    // The client CPUs are idle until the measurement: the variant may start on them too.
    startCpus: o.serverCpus !== undefined && o.clientCpus !== undefined ? cpuUnion(o.serverCpus, o.clientCpus) : undefined,
    workDir,
  };
}

export interface VariantOutcome {
  verification: Verification;
  /** Absent when the variant was not measured; then `notMeasured` says why. */
  result?: VariantResult;
  notMeasured?: string;
}

/** Runs the one-user check and the warm-up; a variant that fails the check is not measured, and the run goes on. */
export async function checkedAndWarm(stack: VariantStack, ctx: VariantRunContext): Promise<string | undefined> {
  try {
    await checkAndWarm(stack, ctx);
    return undefined;
  } catch (error) {
    if (!(error instanceof LabError) || error.code !== 'BL_ERR_CHECK') throw error;
    ctx.log(`${stack.variant.name}: ${error.message}: not measured`);
    return error.message;
  }
}

/** A started variant with its verification, all but the line that waits for the copy without a database. */
export interface StartedVariant extends PartialVerification {
  stack: VariantStack;
}

/**
 * Starts a variant behind nginx and, in the first round, checks it against the contract. The copy
 * without a database that `/healthz`'s 503 needs starts at the same time, niced, on the client CPUs
 * (idle during set-up); its line is checked by `complete()`, after the warm-up, when it is up.
 * A stack that started is stopped again if verification throws.
 */
export async function startAndVerify(variant: VariantSpec, ctx: VariantRunContext, round = 1): Promise<StartedVariant> {
  ctx.progress?.phase({ variant: variant.name, phase: 'starting' });
  await ctx.database.resetTable();
  const options = stackOptions(ctx);
  // Verified once: later rounds only repeat the measurement.
  const verify = round === 1;
  let copy: Promise<CopyWithoutDatabase> | undefined;
  if (verify) {
    copy = startCopyWithoutDatabase(variant, options, ctx.options.clientCpus);
    // Awaited by verification; a failure to start shows there as a failed check.
    copy.catch(() => undefined);
  }
  let stack: VariantStack;
  try {
    stack = await startVariantStack(variant, options);
  } catch (error) {
    await copy?.then(
      (c) => c.stop(),
      () => undefined,
    );
    throw error;
  }
  try {
    ctx.log(`${variant.name}: up in ${stack.startMs} ms behind ${stack.target}${ctx.options.repeat > 1 ? ` (round ${round})` : ''}`);
    if (copy === undefined) {
      const verification = { target: stack.target, variant: variant.name, passed: true, findings: [] };
      return { stack, verification, complete: async () => verification, release: async () => undefined };
    }
    ctx.progress?.phase({ variant: variant.name, phase: 'verifying' });
    return { stack, ...(await verifyAllButDatabaseDown(stack, ctx.database, `${ctx.runTag}v`, copy)) };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** Logs that a variant failed verification and is not measured; gives the lines it failed. */
export function notMeasured(variant: VariantSpec, verification: Verification, ctx: VariantRunContext): string[] {
  const failed = verification.findings.filter((f) => f.status === 'fail').map((f) => f.id);
  ctx.log(`${variant.name}: failed verification (${failed.join(', ')}): not measured`);
  return failed;
}

/** One variant, start to finish: start, verify, warm up, measure, audit, and stop everything. */
export async function runVariant(variant: VariantSpec, ctx: VariantRunContext, round = 1): Promise<VariantOutcome> {
  const started = await startAndVerify(variant, ctx, round);
  const { stack } = started;
  try {
    if (!started.verification.passed) {
      const verification = await started.complete();
      notMeasured(variant, verification, ctx);
      return { verification };
    }
    const label = ctx.options.repeat > 1 ? `${variant.name}.r${round}` : variant.name;
    const load = { users: ctx.options.users, rampSeconds: ctx.options.rampSeconds, label, stages: ctx.options.stages };
    // The measuring clients boot during the warm-up and wait for the lab's word to start.
    const clients = await startMeasuringClients(stack, load, ctx);
    try {
      ctx.progress?.phase({ variant: variant.name, phase: 'warming' });
      const checkFailed = await checkedAndWarm(stack, ctx);
      // The copy without a database had the warm-up to come up: its line completes the verification.
      const verification = await started.complete();
      if (!verification.passed) {
        notMeasured(variant, verification, ctx);
        return { verification };
      }
      if (checkFailed !== undefined) return { verification, notMeasured: checkFailed };
      return { verification, result: await measureStack(stack, load, ctx, clients) };
    } finally {
      await clients.stop();
    }
  } finally {
    await started.release();
    await stack.stop();
  }
}
