// Proof of accuracy: does benchlab report the times a server really took?
//  1. A target that answers every request after a known delay, and measures what it really held:
//     the client's per-step p50 and p99 must sit within 1 ms of that plus the loopback round trip
//     (measured the same way, at the same rate, with no delay: its p50 for the p50, its p99 for the p99),
//     at low and at high load.
//  2. A target that stalls for a known time mid-run, with users in flight capped: response times
//     (from the intended start) must show the stall as wrk2 would, service times must not.
//  3. The closed-model GET / peak (`benchlab load --mode peak`) and wrk against the same variant's
//     nginx endpoint, interleaved: req/s within 10% (bench/peak-check.ts).
// Check 1's delayed runs also show the client's timing: how late it started users at the low load
// (lateness p50 within 0.3 ms) and, at the high load, its users' p99 time against the p99 of what
// the target held each user (within 1 ms), with the client's CPU at each. Every delayed run is
// preceded by WARMUP_USERS uncounted users in the same client process (`load --warmup-users`),
// which warm the client's and the target's code; the target counts only the measured run's users
// (MEASURED_TAG), by the run tag their posts carry.
// `--only delay|timing|stall|peak` runs one check; `timing` is check 1's delayed runs alone.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { distDir } from '../lab/paths.js';
import { benchCpus, integerOptions, machineLine, runBench, table } from './bench-setup.js';
import { runPinned } from './load-tools.js';
import { cliPath } from '../lab/paths.js';
import { peakCheck } from './peak-check.js';
import { busyShare, readCpuTicks, stolenMs } from '../lab/stack/cpu-ticks.js';
import { clockTicksPerSecond, readProcStat } from '../lab/stack/sampler.js';
import type { LoadResult, StepName, TimeSummary } from '../common/result.js';

const STEPS: StepName[] = ['get', 'post', 'redirect'];
/** Users of each check-1 run, at the least: a p99 of fewer would rest on a handful of values. */
const MIN_DELAY_USERS = 1000;
/**
 * Uncounted users before each delayed run, in the same client process. Cold, the first second
 * at 1000 users/s ran the client's and the target's code unoptimised: the client started users up
 * to 14 ms late and took up to 14 ms from a connection's handshake to its request, and the
 * target's p99 was 12 ms above what it measured itself (bench/README.md, "Accuracy").
 */
const WARMUP_USERS = 2000;
// Check 3: nine rounds of 6 s settle a 10% band against a server whose speed moves 15-25% from round to round.
const options = integerOptions({ delay: 20, stall: 1000, seconds: 4, rounds: 9, 'peak-seconds': 6, connections: 50 }, ['delay', 'timing', 'stall', 'peak']);
/** Check 1's arrival rates, users per second. */
const LOW_RATE = 40;
const HIGH_RATE = 1000;
/** The timing goals: lateness p50 at the low rate, and the users' p99 beyond what the target held at the high rate. */
const LATENESS_P50_GOAL_US = 300;
const USER_P99_GAP_GOAL_US = 1000;

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
  /** Per user: its three requests' holds added up. */
  user: TimeSummary;
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
  /** Milliseconds the hypervisor ran something else on the server and client CPUs during the run. */
  stolenMs: { server: number | undefined; client: number | undefined };
}

async function delayRun(delayMs: number, usersPerSecond: number, workDir: string, name: string): Promise<DelayRun> {
  const cpus = benchCpus();
  const runTag = `acc${process.pid}${name.replace(/[^a-z0-9]/gi, '')}`;
  const target = await delayTarget({ DELAY_MS: String(delayMs), MEASURED_TAG: runTag }, cpus.server);
  try {
    const ticksBefore = readCpuTicks();
    const targetBefore = readProcStat(target.pid)?.cpuTicks ?? 0;
    const startedMs = performance.now();
    // At least MIN_DELAY_USERS users, so that ten values lie above each p99.
    const seconds = Math.max(options.seconds, Math.ceil(MIN_DELAY_USERS / usersPerSecond));
    const result = await load(
      target.url,
      [
        '--users',
        String(usersPerSecond * seconds),
        '--ramp',
        String(seconds),
        '--no-check-own-post',
        '--warmup-users',
        String(WARMUP_USERS),
        '--run-tag',
        runTag,
      ],
      workDir,
      name,
      cpus.client,
    );
    const wallSeconds = (performance.now() - startedMs) / 1000;
    const targetSeconds = ((readProcStat(target.pid)?.cpuTicks ?? 0) - targetBefore) / clockTicksPerSecond();
    const ticksAfter = readCpuTicks();
    const truth = await targetStats(target.url);
    const share = (cpu: string | undefined) => (cpu === undefined ? undefined : busyShare(ticksBefore, ticksAfter, `cpu${cpu}`, clockTicksPerSecond()));
    const stolenOn = (cpu: string | undefined) => (cpu === undefined ? undefined : stolenMs(ticksBefore, ticksAfter, `cpu${cpu}`, clockTicksPerSecond()));
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
      stolenMs: { server: stolenOn(cpus.server), client: stolenOn(cpus.client) },
    };
  } finally {
    target.stop();
  }
}

const percent = (share: number | undefined) => (share === undefined ? '–' : `${Math.round(share * 100)}%`);

const stolen = (msStolen: number | undefined) => (msStolen === undefined ? '–' : msStolen.toFixed(0));

const loadAverage = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');

/** One load's timing figures, in ms; the goal that applies at its rate. */
function timingRow(label: string, rate: number, run: DelayRun): string[] {
  const { result, truth } = run;
  const lateness = result.latenessUs;
  const gap = result.sessionTimeUs.p99 - truth.user.p99;
  const goal =
    rate === LOW_RATE
      ? `lateness p50 ${lateness.p50 <= LATENESS_P50_GOAL_US ? 'met' : 'NOT MET'}`
      : rate === HIGH_RATE
        ? `user p99 gap ${Math.abs(gap) <= USER_P99_GAP_GOAL_US ? 'met' : 'NOT MET'}`
        : '-';
  const client = result.client;
  const cpuPerUserUs = client === undefined || result.users.scheduled === 0 ? undefined : (client.cpuSeconds * 1e6) / result.users.scheduled;
  return [
    `${label} (${rate}/s)`,
    ms(lateness.p50),
    ms(lateness.p99),
    ms(lateness.max),
    ms(result.stepTimeUs.get.p50 - truth.get.p50),
    ms(result.sessionTimeUs.p50),
    ms(truth.user.p50),
    ms(result.sessionTimeUs.p99),
    ms(truth.user.p99),
    ms(gap),
    goal,
    percent(run.cpu.load),
    cpuPerUserUs === undefined ? '–' : cpuPerUserUs.toFixed(0),
    `${stolen(run.stolenMs.server)} / ${stolen(run.stolenMs.client)}`,
  ];
}

runBench('accuracy', async (workDir, signal) => {
  const cpus = benchCpus();
  process.stdout.write(`benchlab accuracy, ${new Date().toISOString().slice(0, 10)}, ${machineLine()}\n\n`);
  const peak = () =>
    peakCheck(workDir, signal, cpus, { connections: options.connections, seconds: options['peak-seconds'], rounds: options.rounds }, (text) =>
      process.stdout.write(text),
    );
  const runs = (check: 'delay' | 'timing' | 'stall' | 'peak') => options.only === undefined || options.only === check;

  // 1. Known delay: the truth is what the target really held each request (it measures itself) plus
  // the round trip: what the client saw beyond what the target held, with no delay, at the same rate.
  // Per step, because the get step also holds the TCP handshake of the user's new connection.
  const rows: string[][] = [];
  const notes: string[] = [];
  const timingRows: string[][] = [];
  // The timing figures come from the delayed runs: printed with check 1, or alone.
  const timing = runs('delay') || options.only === 'timing';
  const rates = [
    ['low load', LOW_RATE],
    ['high load', HIGH_RATE],
  ] as const;
  for (const [label, rate] of timing ? rates : []) {
    const delayed = await delayRun(options.delay, rate, workDir, label.replace(' ', '-'));
    timingRows.push(timingRow(label, rate, delayed));
    if (!runs('delay')) continue;
    const zero = await delayRun(0, rate, workDir, `${label.replace(' ', '-')}-rtt`);
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
        ` client's p99 ${delayed.result.client?.eventLoopDelayP99Ms.toFixed(2) ?? '–'} ms;` +
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
  if (timing) {
    process.stdout.write(
      `1b. The client's timing in the same delayed runs (load average ${loadAverage()}): lateness (actual less scheduled start), the get step from the schedule less what the target held it, and each user's time from the schedule against its three holds added up, after ${WARMUP_USERS} uncounted users; stolen: what the hypervisor took from each CPU over warm-up and run (/proc/stat); goals: lateness p50 within ${ms(LATENESS_P50_GOAL_US)} ms at ${LOW_RATE} users/s, user p99 within ${ms(USER_P99_GAP_GOAL_US)} ms of held p99 at ${HIGH_RATE} users/s\n`,
    );
    process.stdout.write(
      `${table(['load', 'lateness p50', 'lateness p99', 'lateness max', 'get p50 - held p50', 'user p50', 'held p50', 'user p99', 'held p99', 'user p99 gap', 'goal', 'client CPU', 'CPU µs/user', 'stolen ms (server / client CPU)'], timingRows)}\n\n`,
    );
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
  process.stdout.write(`   users that waited for a slot: ${stalled.users.waited ?? 0}; peak in flight ${stalled.users.peakInFlight ?? '–'}\n\n`);
}
