import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LabError } from './errors.js';
import { LOCAL_DATABASE_URL } from './defaults.js';
import { connectExternal, startPrivateDatabase, type Database } from './database.js';
import { findNginx, nginxVersion } from './nginx.js';
import { runEnvironment } from './environment.js';
import { withInstalledTool } from './preflight.js';
import { runVariant } from './variant-run.js';
import { shuffled, summariseRepetitions } from './repetitions.js';
import { variantAvailable } from './variant-command.js';
import type { Verification } from '../client/conformance/finding.js';
import type { RunOptions } from './run-options.js';
import type { RunInfo } from '../report/run-info.js';
import type { VariantResult } from '../client/result.js';
import { writeSummaries } from '../report/write-results.js';

export interface LabRun {
  outDir: string;
  run: RunInfo;
  results: VariantResult[];
}

export interface LabHooks {
  log(line: string): void;
  signal: AbortSignal;
  showProgress: boolean;
}

function timestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** The database for the whole run: the one named, else the local one if it answers, else a private one. */
export async function openDatabase(options: RunOptions, log: (line: string) => void): Promise<Database> {
  if (options.databaseUrl !== undefined) return connectExternal(options.databaseUrl);
  if (!options.privateDatabase) {
    try {
      const db = await connectExternal(LOCAL_DATABASE_URL);
      log(`database: ${db.version} at 127.0.0.1:3306 (database benchlab)`);
      return db;
    } catch (error) {
      if (!(error instanceof LabError) || error.code !== 'BL_ERR_DATABASE') throw error;
    }
  }
  log('database: starting a private server in a temp dir');
  return withInstalledTool(() => startPrivateDatabase(options.serverCpus !== undefined ? { cpus: options.serverCpus } : {}), log);
}

function verificationSummary(v: Verification): NonNullable<RunInfo['verification']>[string] {
  const count = (status: string) => v.findings.filter((f) => f.status === status).length;
  const problems = v.findings.flatMap((f) => (f.status === 'pass' ? [] : [{ id: f.id, status: f.status, line: f.line, detail: f.detail }]));
  return { passed: v.passed, pass: count('pass'), warn: count('warn'), fail: count('fail'), problems };
}

/** With repetitions, `<variant>.json` is the median-p99 run, carrying every run's key figures. */
function representativeOf(runs: VariantResult[]): VariantResult {
  const summary = summariseRepetitions(runs);
  return { ...runs[summary.representative]!, repetitions: summary };
}

function pointLatest(resultsDir: string, outDir: string): void {
  const link = path.join(resultsDir, 'latest');
  try {
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.relative(resultsDir, outDir), link);
  } catch {
    // A results folder on a filesystem without symlinks still holds every result.
  }
}

/** `benchlab run`: every chosen variant in turn, never two at once, then the comparison. */
export async function runLab(options: RunOptions, hooks: LabHooks): Promise<LabRun> {
  await withInstalledTool(findNginx, hooks.log, process.env['BENCHLAB_NGINX'] !== undefined);
  const startedAt = new Date();
  const outDir = path.resolve(options.outDir ?? path.join(options.resultsDir, `${timestamp(startedAt)}-${options.label}`));
  const workDir = path.join(outDir, 'logs');

  const database = await openDatabase(options, hooks.log);
  const results: VariantResult[] = [];
  try {
    // Made only once the parts are there, so a failed preflight leaves no empty result folder.
    fs.mkdirSync(workDir, { recursive: true });
    await database.ensureSchema();
    const environment = await runEnvironment(
      { nginx: await nginxVersion(), database: database.version },
      { serverCpus: options.serverCpus, clientCpus: options.clientCpus },
    );
    const runTag = randomBytes(3).toString('hex');
    const run: RunInfo = {
      label: options.label,
      startedAt: startedAt.toISOString(),
      finishedAt: startedAt.toISOString(),
      options: {
        ...options,
        variants: options.variants.map((v) => v.name),
        database: database.kind === 'private' ? 'private' : database.url.replace(/\/\/[^@]*@/, '//'),
      },
      environment,
      variants: options.variants.map((v) => v.name),
    };
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
    run.rounds = [];
    for (let round = 1; round <= options.repeat && !hooks.signal.aborted; round++) {
      const order = options.repeat > 1 ? shuffled(candidates, orderSeed + round) : candidates;
      run.rounds.push(order.map((v) => v.name));
      for (const variant of order) {
        if (hooks.signal.aborted) break;
        if (round > 1 && !repetitions.has(variant.name)) continue;
        const outcome = await runVariant(variant, { options, database, workDir, runTag, log: hooks.log, signal: hooks.signal, showProgress: hooks.showProgress }, round);
        if (round === 1) run.verification[variant.name] = verificationSummary(outcome.verification);
        if (!outcome.result) {
          const failed = outcome.verification.findings.filter((f) => f.status === 'fail').map((f) => `${f.id} (${f.detail})`);
          run.notMeasured.push({ variant: variant.name, reason: `failed verification: ${failed.join('; ')}` });
          continue;
        }
        const runs = repetitions.get(variant.name) ?? [];
        runs.push(outcome.result);
        repetitions.set(variant.name, runs);
        const file = options.repeat > 1 ? `${variant.name}.r${round}.json` : `${variant.name}.json`;
        fs.writeFileSync(path.join(outDir, file), `${JSON.stringify(outcome.result, null, 2)}\n`);
      }
    }
    for (const variant of candidates) {
      const runs = repetitions.get(variant.name);
      if (!runs) continue;
      const result = options.repeat > 1 ? representativeOf(runs) : runs[0]!;
      results.push(result);
      if (options.repeat > 1) fs.writeFileSync(path.join(outDir, `${variant.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    }
    run.finishedAt = new Date().toISOString();
    fs.writeFileSync(path.join(outDir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
    await writeSummaries(outDir, run, results);
    if (options.outDir === undefined) pointLatest(path.resolve(options.resultsDir), outDir);
    return { outDir, run, results };
  } finally {
    await database.stop();
  }
}
