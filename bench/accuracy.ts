// Proof of accuracy: does benchlab report the times a server really took?
//  1. A target that answers every request after a known delay, and measures what it really held:
//     the client's per-step p50 and p99 must sit within 1 ms of that plus the loopback round trip
//     (measured the same way, at the same rate, with no delay: its p50 for the p50, its p99 for the p99),
//     at low and at high load.
//  2. A target that stalls for a known time mid-run, with users in flight capped: response times
//     (from the intended start) must show the stall as wrk2 would, service times must not.
//  3. The closed-model GET / peak (autocannon inside benchlab) and wrk against the same variant's
//     nginx endpoint, interleaved: req/s within 10% (bench/peak-check.ts).
// `--only delay|stall|peak` runs one check.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { distDir } from '../lab/paths.js';
import { benchCpus, integerOptions, machineLine, runBench, table } from './bench-setup.js';
import { runPinned } from './load-tools.js';
import { cliPath } from '../lab/paths.js';
import { peakCheck } from './peak-check.js';
import { busyShare, readCpuTicks } from '../lab/stack/cpu-ticks.js';
import { clockTicksPerSecond, readProcStat } from '../lab/stack/sampler.js';
import type { LoadResult, StepName, TimeSummary } from '../common/result.js';

const STEPS: StepName[] = ['get', 'post', 'redirect'];
/** Users of each check-1 run, at the least: a p99 of fewer would rest on a handful of values. */
const MIN_DELAY_USERS = 1000;
// Check 3: nine rounds of 6 s settle a 10% band against a server whose speed moves 15-25% from round to round.
const options = integerOptions({ delay: 20, stall: 1000, seconds: 4, rounds: 9, 'peak-seconds': 6, connections: 50 }, ['delay', 'stall', 'peak']);

interface Target {
  url: string;
  pid: number;
  stop(): void;
}

/** The delay target in its own process, pinned apart from the client. */
async function delayTarget(env: Record<string, string>, cpus: string | undefined): Promise<Target> {
  const script = path.join(distDir, 'bench', 'delay-target.js');
  const child = spawn(cpus ? 'taskset' : process.execPath, cpus ? ['-c', cpus, process.execPath, script] : [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('error', reject);
  });
  return { url: line.trim(), pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

async function load(url: string, args: string[], workDir: string, name: string, cpus: string | undefined): Promise<LoadResult> {
  const out = path.join(workDir, `${name}.json`);
  const exit = await runPinned(name, process.execPath, [cliPath, 'load', '--target', url, '--quiet', '--out', out, '--timeout', '30000', ...args], {
    cpus,
    workDir,
  });
  if (exit.code !== 0) throw new Error(`${name}: ${exit.output.trim()}`);
  return JSON.parse(readFileSync(out, 'utf8')) as LoadResult;
}

const ms = (us: number) => (us / 1000).toFixed(2);

interface TargetStats extends Record<StepName, TimeSummary> {
  /** The target's own event-loop delay: how long a request may sit in its socket unseen. */
  eventLoopDelayUs: { p50: number; p99: number; max: number };
}

async function targetStats(url: string): Promise<TargetStats> {
  const res = await fetch(`${url}/stats`);
  return (await res.json()) as TargetStats;
}

/** One check-1 run against a fresh delay target, with the target's truth and what else used the CPUs meanwhile. */
interface DelayRun {
  result: LoadResult;
  truth: TargetStats;
  /** Busy share of the server and client CPUs over the run, and the target's and client's own shares. */
  cpu: { server: number | undefined; client: number | undefined; target: number; load: number };
}

async function delayRun(delayMs: number, usersPerSecond: number, workDir: string, name: string): Promise<DelayRun> {
  const cpus = benchCpus();
  const target = await delayTarget({ DELAY_MS: String(delayMs) }, cpus.server);
  try {
    const ticksBefore = readCpuTicks();
    const targetBefore = readProcStat(target.pid)?.cpuTicks ?? 0;
    const startedMs = performance.now();
    // At least MIN_DELAY_USERS users, so that ten values lie above each p99.
    const seconds = Math.max(options.seconds, Math.ceil(MIN_DELAY_USERS / usersPerSecond));
    const result = await load(
      target.url,
      ['--users', String(usersPerSecond * seconds), '--ramp', String(seconds), '--no-check-own-post'],
      workDir,
      name,
      cpus.client,
    );
    const wallSeconds = (performance.now() - startedMs) / 1000;
    const targetSeconds = ((readProcStat(target.pid)?.cpuTicks ?? 0) - targetBefore) / clockTicksPerSecond();
    const ticksAfter = readCpuTicks();
    const truth = await targetStats(target.url);
    const share = (cpu: string | undefined) => (cpu === undefined ? undefined : busyShare(ticksBefore, ticksAfter, `cpu${cpu}`));
    const client = result.client;
    return {
      result,
      truth,
      cpu: {
        server: share(cpus.server),
        client: share(cpus.client),
        target: targetSeconds / wallSeconds,
        load: client === undefined ? 0 : client.cpuSeconds / client.wallSeconds,
      },
    };
  } finally {
    target.stop();
  }
}

const percent = (share: number | undefined) => (share === undefined ? '-' : `${Math.round(share * 100)}%`);

runBench('accuracy', async (workDir, signal) => {
  const cpus = benchCpus();
  process.stdout.write(`benchlab accuracy, ${new Date().toISOString().slice(0, 10)}, ${machineLine()}\n\n`);
  const peak = () =>
    peakCheck(workDir, signal, cpus, { connections: options.connections, seconds: options['peak-seconds'], rounds: options.rounds }, (text) =>
      process.stdout.write(text),
    );
  const runs = (check: 'delay' | 'stall' | 'peak') => options.only === undefined || options.only === check;

  // 1. Known delay: the truth is what the target really held each request (it measures itself) plus
  // the round trip: what the client saw beyond what the target held, with no delay, at the same rate.
  // Per step, because the get step also holds the TCP handshake of the user's new connection.
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const [label, rate] of runs('delay')
    ? ([
        ['low load', 50],
        ['high load', 1000],
      ] as const)
    : []) {
    const zero = await delayRun(0, rate, workDir, `${label.replace(' ', '-')}-rtt`);
    const delayed = await delayRun(options.delay, rate, workDir, label.replace(' ', '-'));
    // The round trip is itself spread: its median goes with the median, its own p99 with the p99.
    const roundTrip = (step: StepName, at: 'p50' | 'p99') => zero.result.serviceTimeUs![step][at] - zero.truth[step][at];
    for (const step of STEPS) {
      const t = delayed.result.serviceTimeUs![step];
      const truth = delayed.truth[step];
      const p50Error = t.p50 - (truth.p50 + roundTrip(step, 'p50'));
      const p99Error = t.p99 - (truth.p99 + roundTrip(step, 'p99'));
      const within = Math.abs(p50Error) <= 1000 && Math.abs(p99Error) <= 1000 ? 'yes' : 'NO';
      rows.push([
        label,
        step,
        ms(roundTrip(step, 'p50')),
        ms(roundTrip(step, 'p99')),
        ms(truth.p50),
        ms(truth.p99),
        ms(t.p50),
        ms(t.p99),
        ms(p50Error),
        ms(p99Error),
        within,
      ]);
    }
    const loop = delayed.truth.eventLoopDelayUs;
    const { cpu } = delayed;
    notes.push(
      `   ${label} (${rate} users/s): target event-loop delay p99 ${ms(loop.p99)} ms, max ${ms(loop.max)} ms;` +
        ` client's p99 ${delayed.result.client?.eventLoopDelayP99Ms.toFixed(2) ?? '-'} ms;` +
        ` server CPU ${percent(cpu.server)} busy (target ${percent(cpu.target)}), client CPU ${percent(cpu.client)} busy (client ${percent(cpu.load)})`,
    );
  }
  if (runs('delay')) {
    process.stdout.write(
      `1. Nominal delay ${options.delay} ms per request; the target measures what it really held; the round trip per step is the client's time beyond the target's at the same rate with no delay (p50 error: client p50 - held p50 - round trip p50; p99 error: the same with the p99s)\n`,
    );
    process.stdout.write(
      `${table(['load', 'step', 'round trip p50', 'round trip p99', 'held p50', 'held p99', 'client p50', 'client p99', 'p50 error', 'p99 error', 'within 1 ms'], rows)}\n`,
    );
    process.stdout.write(`${notes.join('\n')}\n\n`);
  }
  if (runs('stall')) await stallCheck(workDir, cpus);
  if (runs('peak')) await peak();
});

/** 2. A stall mid-run with users in flight capped. */
async function stallCheck(workDir: string, cpus: ReturnType<typeof benchCpus>): Promise<void> {
  const stallAtMs = 2000;
  const stalling = await delayTarget({ DELAY_MS: '1', STALL_AT_MS: String(stallAtMs), STALL_MS: String(options.stall) }, cpus.server);
  const stalled = await load(
    stalling.url,
    ['--users', String(200 * options.seconds), '--ramp', String(options.seconds), '--max-active', '5', '--on-saturation', 'wait'],
    workDir,
    'stall',
    cpus.client,
  );
  stalling.stop();
  const stallRows = STEPS.map((step) => [
    step,
    ms(stalled.stepTimeUs[step].p50),
    ms(stalled.stepTimeUs[step].p99),
    ms(stalled.stepTimeUs[step].max),
    ms(stalled.serviceTimeUs?.[step].p99 ?? 0),
    ms(stalled.serviceTimeUs?.[step].max ?? 0),
  ]);
  process.stdout.write(`2. A ${options.stall} ms stall ${stallAtMs} ms into the run; 200 users/s, at most 5 in flight, later arrivals wait\n`);
  process.stdout.write(`${table(['step', 'response p50', 'response p99', 'response max', 'service p99', 'service max'], stallRows)}\n`);
  process.stdout.write(`   users that waited for a slot: ${stalled.users.waited ?? 0}; peak in flight ${stalled.users.peakInFlight ?? '-'}\n\n`);
}
