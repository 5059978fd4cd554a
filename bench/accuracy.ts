// Proof of accuracy: does benchlab report the times a server really took?
//  1. A target that answers every request after a known delay, and measures what it really held:
//     the client's per-step p50 and p99 must sit within 1 ms of that plus the loopback round trip,
//     at low and at high load.
//  2. A target that stalls for a known time mid-run, with users in flight capped: response times
//     (from the intended start) must show the stall as wrk2 would, service times must not.
//  3. The closed-model GET / peak (autocannon inside benchlab) and wrk against the same variant's
//     nginx endpoint, interleaved: req/s within 10% (bench/peak-check.ts). `--only peak` runs just that.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { distDir } from '../lab/paths.js';
import { benchCpus, integerOptions, machineLine, runBench, table } from './bench-setup.js';
import { runPinned } from './load-tools.js';
import { cliPath } from '../lab/paths.js';
import { peakCheck } from './peak-check.js';
import type { LoadResult, StepName, TimeSummary } from '../client/result.js';

const STEPS: StepName[] = ['get', 'post', 'redirect'];
const options = integerOptions({ delay: 20, stall: 1000, seconds: 4, rounds: 5, connections: 50 }, ['peak']);

interface Target {
  url: string;
  stop(): void;
}

/** The delay target in its own process, pinned apart from the client. */
async function delayTarget(env: Record<string, string>, cpus: string | undefined): Promise<Target> {
  const script = path.join(distDir, 'bench', 'delay-target.js');
  const child = spawn(cpus ? 'taskset' : process.execPath, cpus ? ['-c', cpus, process.execPath, script] : [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('error', reject);
  });
  return { url: line.trim(), stop: () => child.kill('SIGTERM') };
}

async function load(url: string, args: string[], workDir: string, name: string, cpus: string | undefined): Promise<LoadResult> {
  const out = path.join(workDir, `${name}.json`);
  const exit = await runPinned(name, process.execPath, [cliPath, 'load', '--target', url, '--quiet', '--out', out, '--timeout', '30000', ...args], { cpus, workDir });
  if (exit.code !== 0) throw new Error(`${name}: ${exit.output.trim()}`);
  return JSON.parse(readFileSync(out, 'utf8')) as LoadResult;
}

const ms = (us: number) => (us / 1000).toFixed(2);

async function targetStats(url: string): Promise<Record<StepName, TimeSummary>> {
  const res = await fetch(`${url}/stats`);
  return (await res.json()) as Record<StepName, TimeSummary>;
}

runBench('accuracy', async (workDir, signal) => {
  const cpus = benchCpus();
  process.stdout.write(`benchlab accuracy, ${new Date().toISOString().slice(0, 10)}, ${machineLine()}\n\n`);
  const peak = () => peakCheck(workDir, signal, cpus, { connections: options.connections, seconds: options.seconds, rounds: options.rounds }, (text) => process.stdout.write(text));
  if (options.only === 'peak') return peak();

  // 1. Known delay: the truth is what the target really held each request (it measures itself) plus the round trip.
  const zero = await delayTarget({ DELAY_MS: '0' }, cpus.server);
  const base = await load(zero.url, ['--users', '200', '--ramp', '2', '--no-check-own-post'], workDir, 'rtt', cpus.client);
  const zeroHeld = await targetStats(zero.url);
  zero.stop();
  // The round trip without the server's own time: what the client saw beyond what the target held.
  const rttUs = Math.min(...STEPS.map((s) => base.serviceTimeUs![s].p50 - zeroHeld[s].p50));
  const rows: string[][] = [];
  for (const [label, rate] of [['low load', 50], ['high load', 1000]] as const) {
    const delayed = await delayTarget({ DELAY_MS: String(options.delay) }, cpus.server);
    const r = await load(delayed.url, ['--users', String(rate * options.seconds), '--ramp', String(options.seconds), '--no-check-own-post'], workDir, label.replace(' ', '-'), cpus.client);
    const truth = await targetStats(delayed.url);
    delayed.stop();
    for (const step of STEPS) {
      const t = r.serviceTimeUs![step];
      const p50Error = t.p50 - (truth[step].p50 + rttUs);
      const p99Error = t.p99 - (truth[step].p99 + rttUs);
      rows.push([label, step, ms(truth[step].p50), ms(truth[step].p99), ms(t.p50), ms(t.p99), ms(p50Error), ms(p99Error), Math.abs(p50Error) <= 1000 && Math.abs(p99Error) <= 1000 ? 'yes' : 'NO']);
    }
  }
  process.stdout.write(`1. Nominal delay ${options.delay} ms per request; the target measures what it really held; loopback round trip ${ms(rttUs)} ms\n`);
  process.stdout.write(`${table(['load', 'step', 'held p50', 'held p99', 'client p50', 'client p99', 'p50 error', 'p99 error', 'within 1 ms'], rows)}\n\n`);

  // 2. A stall mid-run with users in flight capped.
  const stallAtMs = 2000;
  const stalling = await delayTarget({ DELAY_MS: '1', STALL_AT_MS: String(stallAtMs), STALL_MS: String(options.stall) }, cpus.server);
  const stalled = await load(stalling.url, ['--users', String(200 * options.seconds), '--ramp', String(options.seconds), '--max-active', '5', '--on-saturation', 'wait'], workDir, 'stall', cpus.client);
  stalling.stop();
  const stallRows = STEPS.map((step) => [step, ms(stalled.stepTimeUs[step].p50), ms(stalled.stepTimeUs[step].p99), ms(stalled.stepTimeUs[step].max), ms(stalled.serviceTimeUs?.[step].p99 ?? 0), ms(stalled.serviceTimeUs?.[step].max ?? 0)]);
  process.stdout.write(`2. A ${options.stall} ms stall ${stallAtMs} ms into the run; 200 users/s, at most 5 in flight, later arrivals wait\n`);
  process.stdout.write(`${table(['step', 'response p50', 'response p99', 'response max', 'service p99', 'service max'], stallRows)}\n`);
  process.stdout.write(`   users that waited for a slot: ${stalled.users.waited ?? 0}; peak in flight ${stalled.users.peakInFlight ?? '-'}\n\n`);

  // 3. The closed-model GET / peak against wrk on a variant's nginx endpoint.
  await peak();
});
