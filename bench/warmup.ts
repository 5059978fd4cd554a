// How warm the server is when the measurement starts: the app's CPU per user, second by second, of a
// run at a fixed rate on a variant just started (cold), and of the same run after the lab's warm-up
// (lab/warm-up.ts). The warm-up is good enough when the warm run's first seconds are within 10% of
// the steady value (the cold run's last half).
//   npm run bench:warmup [-- --rate 200 --seconds 12 --only http-prefork-fastify]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VARIANT_SETS, findVariant } from '../apps/variants.js';
import { runLoad } from '../client/load.js';
import { RUN_DEFAULTS } from '../common/defaults.js';
import type { LoadResult } from '../common/result.js';
import { openDatabase } from '../lab/run.js';
import { runOptionsFrom } from '../lab/run-options.js';
import { stackOptionsOf } from '../lab/variant-run.js';
import { clockTicksPerSecond, processTree, readProcStat } from '../lab/stack/sampler.js';
import { settle } from '../lab/stack/settle.js';
import { startVariantStack, type VariantStack } from '../lab/stack/variant-stack.js';
import { DEFAULT_WARM_UP, warmUntilSteady } from '../lab/warm-up.js';
import { benchCpus, integerOptions, machineLine, runBench } from './bench-setup.js';

const DESIGN = VARIANT_SETS['design']!.map((name) => findVariant(name)!.name);
const options = integerOptions({ rate: 200, seconds: 12 }, DESIGN);
const SAMPLE_MS = 1_000;

function treeTicks(root: number): number {
  return processTree([root]).reduce((sum, pid) => sum + (readProcStat(pid)?.cpuTicks ?? 0), 0);
}

/** The app's CPU ms per arriving user in each second of a run at `rate` users/s for `seconds`. */
async function perSecondCost(stack: VariantStack, tag: string, signal: AbortSignal): Promise<{ costs: Array<number | null>; result: LoadResult }> {
  const ticks: number[] = [treeTicks(stack.app.pid)];
  const timer = setInterval(() => ticks.push(treeTicks(stack.app.pid)), SAMPLE_MS);
  let result: LoadResult;
  try {
    result = await runLoad(
      {
        target: stack.target,
        variant: stack.variant.name,
        users: options.rate * options.seconds,
        rampSeconds: options.seconds,
        timeoutMs: 10_000,
        arrival: 'uniform',
        runTag: tag,
        expectBackend: stack.variant.name,
      },
      { signal },
    );
  } finally {
    clearInterval(timer);
  }
  const msPerTick = 1000 / clockTicksPerSecond();
  const costs = result.timeline.slice(0, options.seconds).map((second, i) => {
    const used = ticks[i + 1] !== undefined ? (ticks[i + 1]! - ticks[i]!) * msPerTick : null;
    // Per arriving user: at a fixed rate the arrivals are steady, while completions lag behind at the start.
    return used !== null && second.arrivals > 0 ? used / second.arrivals : null;
  });
  return { costs, result };
}

// A figure nothing was measured for (a median of no seconds) prints "–", never a number.
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');
const cell = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(2).padStart(6) : '     –');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

runBench('warmup', async (workDir, signal) => {
  const cpus = benchCpus();
  console.log(`machine: ${machineLine()}`);
  console.log(
    `${options.rate} users/s for ${options.seconds} s per run; app, nginx and a private MariaDB on CPU ${cpus.server ?? 'any'}, client on CPU ${cpus.client ?? 'any'}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}\n`,
  );
  const runOptions = runOptionsFrom(
    { privateDb: true, ...(cpus.server === undefined ? { pin: false } : { serverCpus: cpus.server, clientCpus: cpus.client }) },
    {},
    os.availableParallelism(),
  );
  // The bench's own client on the client CPU, like the lab's measuring client (once the split is known).
  if (cpus.client !== undefined) execFileSync('taskset', ['-a', '-p', '-c', cpus.client, String(process.pid)], { stdio: 'ignore' });
  const database = await openDatabase(runOptions, () => undefined);
  try {
    await database.ensureSchema();
    for (const name of options.only ? [options.only] : DESIGN) {
      if (signal.aborted) break;
      const variant = findVariant(name)!;
      const series: Record<string, Array<number | null>> = {};
      let warmRounds = '';
      for (const mode of ['cold', 'warm'] as const) {
        await database.resetTable();
        const dir = path.join(workDir, `${name}-${mode}`);
        fs.mkdirSync(dir, { recursive: true });
        const stack = await startVariantStack(variant, stackOptionsOf(runOptions, database, dir));
        try {
          if (mode === 'warm') {
            const base = { target: stack.target, variant: name, timeoutMs: 10_000, expectBackend: name, checkOwnPost: true };
            const warm = await warmUntilSteady(stack, base, { ...DEFAULT_WARM_UP, minUsers: RUN_DEFAULTS.warmupUsers }, (k) => `warm${k}`, signal);
            await settle(stack, database, signal);
            warmRounds = warm.rounds.map((r) => r.cpuMsPerUser?.toFixed(2) ?? '–').join(', ');
          }
          series[mode] = (await perSecondCost(stack, mode, signal)).costs;
        } finally {
          await stack.stop();
        }
      }
      const cold = series['cold']!;
      const warm = series['warm']!;
      const known = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
      const steady = median(known(cold.slice(Math.floor(cold.length / 2))));
      console.log(`${name}: app CPU ms per user, second by second (steady: ${ms(steady)}, the cold run's last half)`);
      console.log(`  warm-up rounds: ${warmRounds}`);
      console.log(`  second   ${Array.from({ length: options.seconds }, (_, i) => String(i + 1).padStart(6)).join('')}`);
      console.log(`  cold     ${cold.map(cell).join('')}`);
      console.log(`  warm     ${warm.map(cell).join('')}`);
      const firstWarm = known(warm.slice(0, 2));
      const off = firstWarm.map((v) => Math.abs(v - steady) / steady);
      console.log(
        `  the warm run's first two seconds are ${off.map((o) => `${(o * 100).toFixed(0)}%`).join(' and ')} from steady (goal: within 10%); cold's first two: ${cold
          .slice(0, 2)
          .map((v) => (v === null ? '–' : `${((Math.abs(v - steady) / steady) * 100).toFixed(0)}%`))
          .join(' and ')}`,
      );
      // Single seconds at this rate move by 10–20%; medians of several show the trend through that.
      const warmStart = median(known(warm.slice(0, 3)));
      const warmEnd = median(known(warm.slice(Math.floor(warm.length / 2))));
      const apart = Number.isFinite(warmStart) && Number.isFinite(warmEnd) && warmEnd > 0 ? `${(((warmStart - warmEnd) / warmEnd) * 100).toFixed(0)}%` : '–';
      console.log(`  the warm run's first three seconds' median ${ms(warmStart)} against its own last half's ${ms(warmEnd)}: ${apart}\n`);
    }
  } finally {
    await database.stop();
  }
});
