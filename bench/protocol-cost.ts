// What each protocol and process model costs, apart from queueing: every Node variant (protocol ×
// model × framework) at the same fixed arrival rate, below saturation, after a warm-up; the app's
// CPU per request and per user, nginx's and the database's separately, and the upstream
// connections the app accepted per request. Then the ratios: fastcgi ÷ http for the same model and
// framework, threaded ÷ prefork and single ÷ prefork for the same protocol and framework.
//   npm run bench:protocol-cost [-- --rate 100 --seconds 10 --warmup-seconds 3 --rounds 1 --variants node]
// With --rounds N every variant is measured N times, in a shuffled order each round; figures are medians.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LabError } from '../common/errors.js';
import { parseInteger } from '../common/option-parsers.js';
import { shuffled } from '../common/repetitions.js';
import { openDatabase, timestamp } from '../lab/run.js';
import { runOptionsFrom } from '../lab/run-options.js';
import { assertWritableOutDir } from '../lab/out-dir.js';
import type { VariantRunContext } from '../lab/variant-run.js';
import type { VariantSpec } from '../apps/variants.js';
import { machineLine, runBench, table } from './bench-setup.js';
import {
  emptyDir,
  ensureDir,
  hookCounts,
  hookEnv,
  hookReporters,
  hookWindow,
  loadAverage,
  measureWindow,
  startStackWithEnv,
  warmAtRate,
} from './fixed-rate.js';

interface Options {
  rate: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  variants: string;
  database?: string;
  results: string;
  out?: string;
}

function readOptions(): Options {
  try {
    const { values } = parseArgs({
      options: {
        rate: { type: 'string' },
        seconds: { type: 'string' },
        'warmup-seconds': { type: 'string' },
        rounds: { type: 'string' },
        variants: { type: 'string' },
        database: { type: 'string' },
        results: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
    });
    return {
      rate: parseInteger('--rate', values.rate ?? '100', 1, 5000),
      seconds: parseInteger('--seconds', values.seconds ?? '10', 1, 300),
      warmupSeconds: parseInteger('--warmup-seconds', values['warmup-seconds'] ?? '3', 0, 300),
      rounds: parseInteger('--rounds', values.rounds ?? '1', 1, 20),
      variants: values.variants ?? 'node',
      ...(values.database !== undefined ? { database: values.database } : {}),
      results: values.results ?? 'results',
      ...(values.out !== undefined ? { out: values.out } : {}),
    };
  } catch (error) {
    process.stderr.write(`bench protocol-cost: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof LabError ? error.exitCode : 2);
  }
}

const options = readOptions();

/** One variant's figures from one measured window. */
interface Measurement {
  variant: string;
  round: number;
  usersOk: number;
  usersFailed: number;
  requests: number;
  meanUserMs: number;
  p99UserMs: number;
  appMsPerRequest: number;
  appMsPerUser: number;
  nginxMsPerRequest: number;
  nginxMsPerUser: number;
  databaseMsPerUser: number | null;
  /** Connections the app's servers accepted in the window, per request (nginx opening a new upstream connection). */
  connectionsPerRequest: number | null;
  loadAverage: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

type Figure = 'appMsPerRequest' | 'appMsPerUser' | 'nginxMsPerRequest' | 'nginxMsPerUser' | 'meanUserMs' | 'p99UserMs';

interface Row {
  variant: VariantSpec;
  runs: Measurement[];
  median: Record<Figure, number> & { databaseMsPerUser: number | null; connectionsPerRequest: number | null; failed: number };
}

function rowOf(variant: VariantSpec, runs: Measurement[]): Row {
  const m = (f: Figure) => median(runs.map((r) => r[f]));
  const optional = (values: Array<number | null>) => (values.every((v) => v !== null) ? median(values as number[]) : null);
  return {
    variant,
    runs,
    median: {
      appMsPerRequest: m('appMsPerRequest'),
      appMsPerUser: m('appMsPerUser'),
      nginxMsPerRequest: m('nginxMsPerRequest'),
      nginxMsPerUser: m('nginxMsPerUser'),
      meanUserMs: m('meanUserMs'),
      p99UserMs: m('p99UserMs'),
      databaseMsPerUser: optional(runs.map((r) => r.databaseMsPerUser)),
      connectionsPerRequest: optional(runs.map((r) => r.connectionsPerRequest)),
      failed: runs.reduce((sum, r) => sum + r.usersFailed, 0),
    },
  };
}

const f3 = (value: number | null) => (value === null || !Number.isFinite(value) ? '-' : value.toFixed(3));
const f2 = (value: number | null) => (value === null || !Number.isFinite(value) ? '-' : value.toFixed(2));
const range = (runs: Measurement[], figure: Figure) =>
  runs.length > 1 ? ` (${f2(Math.min(...runs.map((r) => r[figure])))}–${f2(Math.max(...runs.map((r) => r[figure])))})` : '';

function costTable(rows: Row[]): string {
  return table(
    ['variant', 'app ms/req', 'app ms/user', 'nginx ms/req', 'nginx ms/user', 'db ms/user', 'conns/req', 'mean user ms', 'p99 user ms', 'failed'],
    rows.map((r) => [
      r.variant.name,
      f3(r.median.appMsPerRequest),
      `${f2(r.median.appMsPerUser)}${range(r.runs, 'appMsPerUser')}`,
      f3(r.median.nginxMsPerRequest),
      f2(r.median.nginxMsPerUser),
      f2(r.median.databaseMsPerUser),
      f3(r.median.connectionsPerRequest),
      f2(r.median.meanUserMs),
      f2(r.median.p99UserMs),
      String(r.median.failed),
    ]),
  );
}

/** Ratios of CPU per user between variants that differ in one axis only. */
function ratioTable(rows: Row[], axis: 'protocol' | 'model', of: string, over: string): string | undefined {
  const find = (v: VariantSpec, value: string) =>
    rows.find(
      (r) =>
        r.variant.framework === v.framework &&
        (axis === 'protocol' ? r.variant.model === v.model && r.variant.protocol === value : r.variant.protocol === v.protocol && r.variant.model === value),
    );
  const pairs = rows
    .filter((r) => r.variant[axis] === over)
    .flatMap((base) => {
      const other = find(base.variant, of);
      return other ? [{ base, other }] : [];
    });
  if (pairs.length === 0) return undefined;
  const label = (v: VariantSpec) => (axis === 'protocol' ? `${v.model}-${v.framework}` : `${v.protocol}-${v.framework}`);
  return table(
    [`${of} ÷ ${over}`, 'app', 'nginx', 'app + nginx', 'mean user time'],
    pairs.map(({ base, other }) => [
      label(base.variant),
      f2(other.median.appMsPerUser / base.median.appMsPerUser),
      f2(other.median.nginxMsPerUser / base.median.nginxMsPerUser),
      f2((other.median.appMsPerUser + other.median.nginxMsPerUser) / (base.median.appMsPerUser + base.median.nginxMsPerUser)),
      f2(other.median.meanUserMs / base.median.meanUserMs),
    ]),
  );
}

runBench('protocol-cost', async (_workDir, signal) => {
  const runOptions = runOptionsFrom({
    variants: options.variants,
    users: String(options.rate * options.seconds),
    ramp: String(options.seconds),
    ...(options.database !== undefined ? { database: options.database } : { privateDb: true }),
  });
  const variants = runOptions.variants.filter((v) => v.command === undefined);
  const outDir = path.resolve(options.out ?? path.join(options.results, `${timestamp(new Date())}-protocol-cost`));
  assertWritableOutDir(outDir, options.out !== undefined ? '--out' : '--results');
  const logs = ensureDir(path.join(outDir, 'logs'));
  const log = (line: string) => console.log(line);
  const header = [
    `machine: ${machineLine()}`,
    `${variants.length} variants at ${options.rate} users/s for ${options.seconds} s each, after the lab's warm-up and ${options.warmupSeconds} s at that rate; ${options.rounds} round(s)`,
    `server CPUs ${runOptions.serverCpus ?? 'any'} (app, nginx, private database), client CPUs ${runOptions.clientCpus ?? 'any'}; ${runOptions.workers} workers or threads`,
  ];
  for (const line of header) log(line);

  const measurements: Measurement[] = [];
  const database = await openDatabase(runOptions, log);
  try {
    await database.ensureSchema();
    for (let round = 1; round <= options.rounds && !signal.aborted; round++) {
      const order = round === 1 ? variants : shuffled(variants, round * 7919);
      for (const variant of order) {
        if (signal.aborted) break;
        const ctx: VariantRunContext = { options: runOptions, database, workDir: logs, runTag: `pc${round}`, log: () => {}, signal };
        const countsDir = emptyDir(path.join(logs, `counts-${variant.name}-r${round}`));
        const stack = await startStackWithEnv(variant, ctx, hookEnv(countsDir, 'count'));
        try {
          await warmAtRate(stack, ctx, options.rate, options.warmupSeconds);
          const w = await measureWindow(
            stack,
            { rate: options.rate, seconds: options.seconds, label: `${variant.name}.r${round}` },
            ctx,
            hookWindow(countsDir),
          );
          const counts = await hookCounts(countsDir, hookReporters(stack, 'count'), log);
          const r = w.result;
          const ok = Math.max(1, r.users.ok);
          const requests = Math.max(1, r.requests.total);
          const served = counts.reduce((sum, c) => sum + c.requests, 0);
          const m: Measurement = {
            variant: variant.name,
            round,
            usersOk: r.users.ok,
            usersFailed: r.users.failed,
            requests: r.requests.total,
            meanUserMs: r.sessionTimeUs.mean / 1000,
            p99UserMs: r.sessionTimeUs.p99 / 1000,
            appMsPerRequest: (r.server!.cpuSeconds * 1000) / requests,
            appMsPerUser: (r.server!.cpuSeconds * 1000) / ok,
            nginxMsPerRequest: (r.nginx!.cpuSeconds * 1000) / requests,
            nginxMsPerUser: (r.nginx!.cpuSeconds * 1000) / ok,
            databaseMsPerUser: r.database ? (r.database.cpuSeconds * 1000) / ok : null,
            connectionsPerRequest: served > 0 ? counts.reduce((sum, c) => sum + c.connections, 0) / served : null,
            loadAverage: w.loadBefore,
          };
          measurements.push(m);
          log(
            `[${round}] ${variant.name}: app ${f2(m.appMsPerUser)} ms/user, nginx ${f2(m.nginxMsPerUser)} ms/user, mean user ${f2(m.meanUserMs)} ms, ${m.usersFailed} failed, ${f3(m.connectionsPerRequest)} conns/req (load ${m.loadAverage})`,
          );
        } finally {
          await stack.stop();
        }
      }
    }
  } finally {
    await database.stop();
  }

  const rows = variants
    .map((v) =>
      rowOf(
        v,
        measurements.filter((m) => m.variant === v.name),
      ),
    )
    .filter((r) => r.runs.length > 0);
  const sections = [
    header.join('\n'),
    `load average at the end: ${loadAverage()}`,
    '',
    'CPU per request and per user (medians over the rounds; app ms/user with its range when there are several):',
    costTable(rows),
    '',
    ratioTable(rows, 'protocol', 'fastcgi', 'http'),
    '',
    ratioTable(rows, 'model', 'threaded', 'prefork'),
    '',
    ratioTable(rows, 'model', 'single', 'prefork'),
  ].filter((s) => s !== undefined);
  const text = `${sections.join('\n')}\n`;
  fs.writeFileSync(path.join(outDir, 'protocol-cost.txt'), text);
  fs.writeFileSync(path.join(outDir, 'protocol-cost.json'), `${JSON.stringify({ options, measurements }, null, 2)}\n`);
  console.log(`\n${text}\nin ${outDir}`);
});
