// Where a variant's CPU goes at a fixed, sub-saturation arrival rate: V8 CPU profiles of every
// process and worker thread of the app, self time by function and by file or package, the app's and
// nginx's CPU per user (the lab's sampler), and how often nginx had to open an upstream connection.
//   npm run bench:profile -- --variant fastcgi-prefork-fastify --rate 150 [--seconds 10]
// The variant is started by the lab's own stack code behind nginx, with a private database on the
// server CPU (or --database URL), warmed up, measured once without the profiler (the CPU figures a
// run would show) and once with it. Everything goes into results/<timestamp>-profile-<variant>/.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LabError, optionError } from '../common/errors.js';
import { parseInteger } from '../common/option-parsers.js';
import { openDatabase, timestamp } from '../lab/run.js';
import { runOptionsFrom } from '../lab/run-options.js';
import { assertWritableOutDir } from '../lab/out-dir.js';
import type { VariantRunContext } from '../lab/variant-run.js';
import type { VariantResult } from '../common/result.js';
import { machineLine, runBench } from './bench-setup.js';
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
  upstreamConnects,
  warmAtRate,
  type WindowResult,
} from './fixed-rate.js';
import type { ThreadCounts } from './profile-hook.js';
import { formatSummary, mergeSummaries, summarizeProfile, type CpuProfile, type ProfileSummary } from './profile-summary.js';

interface ProfileOptions {
  variant: string;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  intervalUs: number;
  database?: string;
  workers?: string;
  threads?: string;
  results: string;
  out?: string;
}

function readOptions(): ProfileOptions {
  try {
    const { values } = parseArgs({
      options: {
        variant: { type: 'string' },
        rate: { type: 'string' },
        seconds: { type: 'string' },
        'warmup-seconds': { type: 'string' },
        'interval-us': { type: 'string' },
        database: { type: 'string' },
        workers: { type: 'string' },
        threads: { type: 'string' },
        results: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
    });
    if (values.variant === undefined) throw optionError('--variant', 'is required (a variant name, e.g. fastcgi-prefork-fastify)');
    return {
      variant: values.variant,
      rate: parseInteger('--rate', values.rate ?? '150', 1, 5000),
      seconds: parseInteger('--seconds', values.seconds ?? '10', 1, 300),
      warmupSeconds: parseInteger('--warmup-seconds', values['warmup-seconds'] ?? '5', 0, 300),
      intervalUs: parseInteger('--interval-us', values['interval-us'] ?? '1000', 50, 100_000),
      ...(values.database !== undefined ? { database: values.database } : {}),
      ...(values.workers !== undefined ? { workers: values.workers } : {}),
      ...(values.threads !== undefined ? { threads: values.threads } : {}),
      results: values.results ?? 'results',
      ...(values.out !== undefined ? { out: values.out } : {}),
    };
  } catch (error) {
    process.stderr.write(`bench profile: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof LabError ? error.exitCode : 2);
  }
}

const options = readOptions();

function ms(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

function figuresOf(w: WindowResult) {
  const r: VariantResult = w.result;
  const ok = r.users.ok;
  return {
    users: { scheduled: r.users.scheduled, ok, failed: r.users.failed },
    errors: r.errors,
    meanUserMs: r.sessionTimeUs.mean / 1000,
    p99UserMs: r.sessionTimeUs.p99 / 1000,
    requests: r.requests.total,
    appCpuSeconds: r.server!.cpuSeconds,
    appCpuMsPerUser: ok > 0 ? (r.server!.cpuSeconds * 1000) / ok : null,
    appCpuMsPerRequest: r.requests.total > 0 ? (r.server!.cpuSeconds * 1000) / r.requests.total : null,
    nginxCpuMsPerUser: ok > 0 ? (r.nginx!.cpuSeconds * 1000) / ok : null,
    databaseCpuMsPerUser: ok > 0 && r.database ? (r.database.cpuSeconds * 1000) / ok : null,
    upstream: upstreamConnects(w.log),
    loadAverageBefore: w.loadBefore,
    loadAverageAfter: w.loadAfter,
  };
}

function describeWindow(title: string, f: ReturnType<typeof figuresOf>): string[] {
  return [
    `${title}: ${f.users.ok}/${f.users.scheduled} users ok, ${f.requests} requests, errors ${JSON.stringify(f.errors)}; user time mean ${ms(f.meanUserMs)} ms, p99 ${ms(f.p99UserMs)} ms`,
    `  app CPU ${ms(f.appCpuSeconds)} s: ${ms(f.appCpuMsPerUser)} ms/user, ${ms(f.appCpuMsPerRequest, 3)} ms/request; nginx ${ms(f.nginxCpuMsPerUser)} ms/user; database ${ms(f.databaseCpuMsPerUser)} ms/user`,
    `  nginx upstream connect time over 0 ms: ${f.upstream.connectAboveZero} of ${f.upstream.requests} requests (0.000: ${f.upstream.connectZero}, none: ${f.upstream.noUpstream})`,
    `  load average ${f.loadAverageBefore} before, ${f.loadAverageAfter} after`,
  ];
}

runBench('profile', async (workDir, signal) => {
  const runOptions = runOptionsFrom({
    variants: options.variant,
    users: String(options.rate * options.seconds),
    ramp: String(options.seconds),
    ...(options.database !== undefined ? { database: options.database } : { privateDb: true }),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  const variant = runOptions.variants[0]!;
  if (runOptions.variants.length !== 1 || variant.command !== undefined) {
    throw optionError('--variant', `takes one of the Node variants (got ${runOptions.variants.map((v) => v.name).join(', ')})`);
  }
  const outDir = path.resolve(options.out ?? path.join(options.results, `${timestamp(new Date())}-profile-${variant.name}`));
  assertWritableOutDir(outDir, options.out !== undefined ? '--out' : '--results');
  const logs = ensureDir(path.join(outDir, 'logs'));
  const profiles = emptyDir(path.join(outDir, 'profiles'));
  const log = (line: string) => console.log(line);
  log(`machine: ${machineLine()}`);
  log(
    `${variant.name} at ${options.rate} users/s for ${options.seconds} s; server CPUs ${runOptions.serverCpus ?? 'any'}, client CPUs ${runOptions.clientCpus ?? 'any'}`,
  );
  log(`load average ${loadAverage()}`);

  const database = await openDatabase(runOptions, log);
  try {
    await database.ensureSchema();
    const ctx: VariantRunContext = { options: runOptions, database, workDir: logs, runTag: 'prof', log: (line) => log(`  ${line}`), signal };
    const stack = await startStackWithEnv(variant, ctx, hookEnv(profiles, 'cpu', options.intervalUs));
    try {
      log(`up with ${stack.workers} ${variant.model === 'threaded' ? 'threads' : variant.model === 'prefork' ? 'workers' : 'process'}; warming up`);
      await warmAtRate(stack, ctx, options.rate, options.warmupSeconds);
      const window = { rate: options.rate, seconds: options.seconds };
      const plain = await measureWindow(stack, { ...window, label: `${variant.name}.plain` }, ctx);
      log('measured without the profiler; now with it');
      const profiled = await measureWindow(stack, { ...window, label: `${variant.name}.profiled` }, ctx, hookWindow(profiles));
      const counts = await hookCounts(profiles, hookReporters(stack, 'cpu'), log);
      writeReport(outDir, profiles, counts, variant.name, plain, profiled);
    } finally {
      await stack.stop();
    }
  } finally {
    await database.stop();
  }
  void workDir;
});

function writeReport(outDir: string, profiles: string, counts: ThreadCounts[], variant: string, plain: WindowResult, profiled: WindowResult): void {
  const summaries: Array<{ name: string; counts?: ThreadCounts; summary: ProfileSummary }> = [];
  for (const file of fs.readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'))) {
    const name = file.replace(/\.cpuprofile$/, '');
    const summary = summarizeProfile(JSON.parse(fs.readFileSync(path.join(profiles, file), 'utf8')) as CpuProfile, 1.5 * options.intervalUs);
    const own = counts.find((c) => `${c.role}-${c.pid}-${c.threadId}` === name);
    summaries.push({ name, ...(own ? { counts: own } : {}), summary });
  }
  summaries.sort((a, b) => b.summary.busyMs - a.summary.busyMs);
  const all = mergeSummaries(summaries.map((s) => s.summary));
  const plainFigures = figuresOf(plain);
  const profiledFigures = figuresOf(profiled);
  const connections = counts.reduce((sum, c) => sum + c.connections, 0);
  const requests = counts.reduce((sum, c) => sum + c.requests, 0);

  const header = [
    `${variant}: profile at ${profiled.result.users.scheduled / profiled.result.options.rampSeconds} users/s for ${profiled.result.options.rampSeconds} s`,
    `machine: ${machineLine()}`,
    ...describeWindow('without the profiler', plainFigures),
    ...describeWindow('with the profiler', profiledFigures),
    `connections the app accepted while profiled: ${connections} for ${requests} requests (${requests > 0 ? (connections / requests).toFixed(4) : '-'} per request)`,
    '',
    'per process and thread: busy = sampled time outside (idle), intervals capped at 1.5 × the sampling interval (on the CPU) and',
    'as sampled (wall); CPU = what /proc says the thread (and, for a main thread, its whole process) used in the window:',
    ...summaries.map((s) => {
      const c = s.counts;
      const cpu = c ? `CPU ${ms(c.threadCpuMs, 0)} ms${c.processCpuMs !== null ? ` (process ${ms(c.processCpuMs, 0)} ms)` : ''}` : 'CPU -';
      const served = c ? `, ${c.requests} requests, ${c.connections} connections` : '';
      return `  ${s.name.padEnd(24)} busy ${s.summary.busyMs.toFixed(0).padStart(6)} ms (wall ${s.summary.busyWallMs.toFixed(0).padStart(6)} ms), ${cpu}${served}`;
    }),
    '',
  ];
  const text = [header.join('\n'), formatSummary('all processes and threads', all), ...summaries.map((s) => formatSummary(s.name, s.summary, 15))].join('\n');
  fs.writeFileSync(path.join(outDir, 'summary.txt'), text);
  fs.writeFileSync(
    path.join(outDir, 'profile.json'),
    `${JSON.stringify(
      {
        variant,
        plain: plainFigures,
        profiled: profiledFigures,
        app: { connections, requests },
        processes: summaries.map((s) => ({
          name: s.name,
          counts: s.counts,
          busyMs: s.summary.busyMs,
          idleMs: s.summary.idleMs,
          top: s.summary.functions.slice(0, 40),
          groups: s.summary.groups,
        })),
        all: { busyMs: all.busyMs, top: all.functions.slice(0, 60), groups: all.groups },
      },
      null,
      2,
    )}\n`,
  );
  fs.writeFileSync(path.join(outDir, `${variant}.plain.json`), `${JSON.stringify(plain.result)}\n`);
  fs.writeFileSync(path.join(outDir, `${variant}.profiled.json`), `${JSON.stringify(profiled.result)}\n`);
  console.log(`\n${header.join('\n')}`);
  console.log(formatSummary('all processes and threads', all, 20));
  console.log(`profiles and summary.txt in ${outDir}`);
}
