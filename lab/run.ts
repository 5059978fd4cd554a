import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { connectExternal, startPrivateDatabase, type Database } from './stack/database.js';
import { findNginx, nginxVersion } from './stack/nginx.js';
import { runEnvironment } from './environment.js';
import { withInstalledTool } from './stack/preflight.js';
import { assertWritableOutDir } from './out-dir.js';
import { runVariant } from './variant-run.js';
import { confineForRun, keepLabOn } from './stack/confine.js';
import { probeSpeeds } from './stack/calibration.js';
import { fileNameOf, optionsFor, plannedMeasurements } from './sweep.js';
import { placed, type LabProgress } from './progress/phase-reporter.js';
import { representativeOf, shuffled } from '../common/repetitions.js';
import { withWarmUpChecks } from '../report/warm-up-check.js';
import { variantAvailable } from './stack/variant-command.js';
import type { Verification } from '../common/finding.js';
import type { RunOptions } from './run-options.js';
import type { RunEnvironment, RunInfo } from '../report/run-info.js';
import type { VariantResult } from '../common/result.js';
import { writeSummaries } from '../report/write-results.js';

export interface LabRun {
  outDir: string;
  run: RunInfo;
  results: VariantResult[];
}

export interface LabHooks {
  log(line: string): void;
  signal: AbortSignal;
  /** Phases and live counts for a progress display. */
  progress?: LabProgress | undefined;
}

export function timestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/**
 * The database for the whole run: the one named, else the local one if it answers, else a private
 * one (started on the server CPUs). A server on this machine that the lab did not start is confined
 * to the server CPUs for the run too, every thread, and given its own CPUs back when it closes; the
 * lab's own process keeps to the client CPUs until then.
 */
export async function openDatabase(options: RunOptions, log: (line: string) => void): Promise<Database> {
  const unpinLab = options.clientCpus !== undefined && options.serverCpus !== undefined ? await keepLabOn(options.clientCpus) : async () => {};
  let database: Database;
  try {
    database = await connectDatabase(options, log);
  } catch (error) {
    await unpinLab();
    throw error;
  }
  const pids = database.kind === 'external' ? database.pids() : [];
  const stopAll = (restore: () => Promise<void>) => () => restore().finally(() => unpinLab().finally(() => database.stop()));
  if (options.serverCpus === undefined || pids.length === 0) return { ...database, stop: stopAll(async () => {}) };
  try {
    const restore = await confineForRun(pids, options.serverCpus, `the database server (pid ${pids.join(', ')})`, log);
    log(`database: the server on this machine (pid ${pids.join(', ')}) runs on CPUs ${options.serverCpus} for this run`);
    return { ...database, stop: stopAll(restore) };
  } catch (error) {
    await stopAll(async () => {})();
    throw error;
  }
}

/**
 * The database a run uses: the one it was given (`--database`, `$DATABASE_URL`), else a private
 * server started for the run. The private one is the default even where a server already runs on
 * this machine: such a server commits with an fsync per transaction (Debian's default), and on this
 * kind of virtual disk that, not the app server, decided whether a run near its capacity held:
 * prefork at 450 users/s held in 5 of 8 runs against the machine's server and in 8 of 8 against the
 * private one or the same machine server set to flush once a second (bench/README.md, "One answer
 * per question").
 */
async function connectDatabase(options: RunOptions, log: (line: string) => void): Promise<Database> {
  if (options.databaseUrl !== undefined) return connectExternal(options.databaseUrl);
  log('database: starting a private server in a temp dir');
  return withInstalledTool(() => startPrivateDatabase(options.serverCpus !== undefined ? { cpus: options.serverCpus } : {}), log);
}

/** One setting for every variant: a database whose settings changed during the run says which. */
export async function noteSettingsChanged(run: RunInfo, database: Database): Promise<void> {
  const before = run.environment.databaseSettings;
  if (before === undefined) return;
  const after = await database.settings().catch(() => undefined);
  if (after === undefined) return;
  const changed = (Object.keys(after) as Array<keyof typeof after>).filter(
    (key) => key !== 'changedDuringRun' && JSON.stringify(after[key]) !== JSON.stringify(before[key]),
  );
  if (changed.length > 0) before.changedDuringRun = changed.map((key) => `${key}: ${String(before[key])} → ${String(after[key])}`);
}

export function verificationSummary(v: Verification): NonNullable<RunInfo['verification']>[string] {
  const count = (status: string) => v.findings.filter((f) => f.status === status).length;
  const problems = v.findings.flatMap((f) => (f.status === 'pass' ? [] : [{ id: f.id, status: f.status, line: f.line, detail: f.detail }]));
  return { passed: v.passed, pass: count('pass'), warn: count('warn'), fail: count('fail'), problems };
}

export function pointLatest(resultsDir: string, outDir: string): void {
  const link = path.join(resultsDir, 'latest');
  try {
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.relative(resultsDir, outDir), link);
  } catch {
    // A results folder on a filesystem without symlinks still holds every result.
  }
}

/** Where the results go, checked before anything starts; and nginx, installed when missing. */
export async function prepareRunFolder(options: RunOptions, log: (line: string) => void): Promise<{ startedAt: Date; outDir: string; workDir: string }> {
  const startedAt = new Date();
  const outDir = path.resolve(options.outDir ?? path.join(options.resultsDir, `${timestamp(startedAt)}-${options.label}`));
  assertWritableOutDir(outDir, options.outDir !== undefined ? '--out' : '--results');
  await withInstalledTool(findNginx, log, process.env['BENCHLAB_NGINX'] !== undefined);
  return { startedAt, outDir, workDir: path.join(outDir, 'logs') };
}

/** The table, the logs folder and what run.json records about the machine, once the database is open. */
export async function prepareDatabase(options: RunOptions, database: Database, workDir: string): Promise<RunEnvironment> {
  // Made only once the parts are there, so a failed preflight leaves no empty result folder.
  fs.mkdirSync(workDir, { recursive: true });
  await database.ensureSchema();
  const environment = await runEnvironment(
    { nginx: await nginxVersion(), database: database.version },
    { serverCpus: options.serverCpus, clientCpus: options.clientCpus },
  );
  return { ...environment, databaseSettings: await database.settings() };
}

/** What run.json says before anything is measured; `extra` adds options of another command. */
export function runInfoFor(
  options: RunOptions,
  database: Database,
  environment: RunEnvironment,
  startedAt: Date,
  extra: Record<string, unknown> = {},
): RunInfo {
  return {
    label: options.label,
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    options: {
      ...options,
      ...extra,
      variants: options.variants.map((v) => v.name),
      database: database.kind === 'private' ? 'private' : database.url.replace(/\/\/[^@]*@/, '//'),
      // It may hold a password; `database` above is the same URL without its credentials.
      databaseUrl: undefined,
    },
    environment,
    variants: options.variants.map((v) => v.name),
  };
}

/** `benchlab run`: every chosen variant in turn, never two at once, then the comparison. */
export async function runLab(options: RunOptions, hooks: LabHooks): Promise<LabRun> {
  const { startedAt, outDir, workDir } = await prepareRunFolder(options, hooks.log);
  const database = await openDatabase(options, hooks.log);
  const results: VariantResult[] = [];
  try {
    const environment = await prepareDatabase(options, database, workDir);
    const runTag = randomBytes(3).toString('hex');
    const run = runInfoFor(options, database, environment, startedAt);
    run.verification = {};
    run.notMeasured = [];
    const candidates = options.variants.filter((variant) => {
      const available = variantAvailable(variant);
      if (available.ok) return true;
      hooks.log(`${variant.name}: skipped: ${available.why}`);
      run.notMeasured!.push({ variant: variant.name, reason: `not installed: ${available.why}` });
      return false;
    });
    const repetitions = new Map<string, VariantResult[]>();
    const orderSeed = randomBytes(4).readUInt32BE();
    const planned = plannedMeasurements(candidates, options.sweep);
    if (options.sweep !== undefined) run.variants = planned.map((p) => p.name);
    const verified = new Set<string>();
    const failedVerification = new Set<string>();
    run.rounds = [];
    let measuredCount = 0;
    for (let round = 1; round <= options.repeat && !hooks.signal.aborted; round++) {
      const order = options.repeat > 1 ? shuffled(planned, orderSeed + round) : planned;
      run.rounds.push(order.map((p) => p.name));
      for (const measurement of order) {
        const { variant, name } = measurement;
        if (hooks.signal.aborted) break;
        if ((round > 1 && !repetitions.has(name)) || failedVerification.has(variant.name)) continue;
        const place = { variant: name, index: ++measuredCount, total: planned.length * options.repeat };
        const progress = placed(hooks.progress, place.index, place.total);
        const before = await probeSpeeds(options.serverCpus, options.clientCpus);
        const ctx = { options: optionsFor(options, measurement), database, workDir, runTag, log: hooks.log, signal: hooks.signal, progress };
        const setting = measurement.setting && `${measurement.setting.knob}=${measurement.setting.value}`;
        const verify = !verified.has(variant.name);
        verified.add(variant.name);
        const outcome = await runVariant(variant, ctx, { round, verify, ...(setting ? { setting } : {}) });
        if (outcome.result) outcome.result.calibration = { before, after: await probeSpeeds(options.serverCpus, options.clientCpus) };
        hooks.progress?.end({ ...place, measured: outcome.result !== undefined });
        if (verify) run.verification[variant.name] = verificationSummary(outcome.verification);
        if (!outcome.result) {
          const failed = outcome.verification.findings.filter((f) => f.status === 'fail').map((f) => `${f.id} (${f.detail})`);
          if (failed.length > 0) failedVerification.add(variant.name);
          const reason = outcome.notMeasured ?? `failed verification: ${failed.join('; ')}`;
          run.notMeasured.push({ variant: name, reason: round > 1 ? `round ${round}: ${reason}` : reason });
          continue;
        }
        const result: VariantResult = measurement.setting
          ? { ...outcome.result, variant: name, sweep: { variant: variant.name, model: variant.model, ...measurement.setting } }
          : outcome.result;
        const runs = repetitions.get(name) ?? [];
        runs.push(result);
        repetitions.set(name, runs);
        const file = `${fileNameOf(name)}${options.repeat > 1 ? `.r${round}` : ''}.json`;
        fs.writeFileSync(path.join(outDir, file), `${JSON.stringify(result, null, 2)}\n`);
      }
    }
    for (const { name } of planned) {
      const runs = repetitions.get(name);
      if (!runs) continue;
      const result = options.repeat > 1 ? withWarmUpChecks(representativeOf(runs), runs) : runs[0]!;
      results.push(result);
      if (options.repeat > 1) fs.writeFileSync(path.join(outDir, `${fileNameOf(name)}.json`), `${JSON.stringify(result, null, 2)}\n`);
    }
    run.finishedAt = new Date().toISOString();
    await noteSettingsChanged(run, database);
    fs.writeFileSync(path.join(outDir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
    await writeSummaries(outDir, run, results);
    if (options.outDir === undefined) pointLatest(path.resolve(options.resultsDir), outDir);
    return { outDir, run, results };
  } finally {
    await database.stop();
  }
}
