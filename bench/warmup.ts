// How warm the server is when the measurement starts: the app's CPU per user, second by second, of a
// run at a fixed rate on a variant just started (cold), and of the same run after the lab's warm-up
// at that rate (lab/warm-up.ts). The warm-up is good enough when the median of the warm run's first
// three seconds is within 10% of the steady value: the median of the warm run's last third, long
// after the warm-up (the cold run's last third is printed beside it, to show whether it got there).
//   npm run bench:warmup [-- --rate 400 --seconds 30 --only http-prefork-fastify]
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
import { treeCpuNs } from '../lab/stack/sampler.js';
import { settle } from '../lab/stack/settle.js';
import { startVariantStack, type VariantStack } from '../lab/stack/variant-stack.js';
import { costsText, DEFAULT_WARM_UP, warmUntilSteady, type WarmStack } from '../lab/warm-up.js';
import { benchCpus, integerOptions, machineLine, runBench } from './bench-setup.js';

const DESIGN = VARIANT_SETS['design']!.map((name) => findVariant(name)!.name);
const options = integerOptions({ rate: 400, seconds: 30 }, DESIGN);
const SAMPLE_MS = 1_000;
/** Seconds per printed row. */
const ROW_SECONDS = 15;

/** The app's CPU ms per arriving user in each second of a run at `rate` users/s for `seconds`; `onStart` as it starts. */
async function perSecondCost(
  stack: VariantStack,
  tag: string,
  signal: AbortSignal,
  onStart: () => void,
): Promise<{ costs: Array<number | null>; result: LoadResult }> {
  onStart();
  const cpuNs: number[] = [treeCpuNs(stack.app.pid)];
  const timer = setInterval(() => cpuNs.push(treeCpuNs(stack.app.pid)), SAMPLE_MS);
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
  const costs = result.timeline.slice(0, options.seconds).map((second, i) => {
    const used = cpuNs[i + 1] !== undefined ? (cpuNs[i + 1]! - cpuNs[i]!) / 1e6 : null;
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
          // As the lab runs: a settled warm-up load goes on until the measured run starts, with no pause between them.
          let warm: WarmStack | undefined;
          if (mode === 'warm') {
            const base = { target: stack.target, variant: name, timeoutMs: 10_000, expectBackend: name, checkOwnPost: true };
            warm = await warmUntilSteady(stack, base, { ...DEFAULT_WARM_UP, rate: options.rate, minUsers: RUN_DEFAULTS.warmupUsers }, 'warm', signal, true);
            if (!warm.keptWarm) await settle(stack, database, signal);
            warmRounds = `${costsText(warm.record.rounds)}; continuous ${costsText(warm.record.slices ?? [])}${warm.keptWarm ? ', kept going' : ' (not settled; drained)'}`;
          }
          try {
            series[mode] = (await perSecondCost(stack, mode, signal, () => void warm?.release())).costs;
          } finally {
            await warm?.release();
          }
        } finally {
          await stack.stop();
        }
      }
      const cold = series['cold']!;
      const warm = series['warm']!;
      const known = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
      const lastThird = (values: (number | null)[]) => median(known(values.slice(Math.floor((values.length * 2) / 3))));
      const steady = lastThird(warm);
      const off = (v: number | null) => (v === null || !(steady > 0) ? '–' : `${(((v - steady) / steady) * 100).toFixed(0)}%`);
      console.log(`${name}: app CPU ms per arriving user, second by second`);
      console.log(`  warm-up: rounds ${warmRounds}`);
      for (let from = 0; from < options.seconds; from += ROW_SECONDS) {
        const to = Math.min(options.seconds, from + ROW_SECONDS);
        console.log(`  second   ${Array.from({ length: to - from }, (_, i) => String(from + i + 1).padStart(6)).join('')}`);
        console.log(`  cold     ${cold.slice(from, to).map(cell).join('')}`);
        console.log(`  warm     ${warm.slice(from, to).map(cell).join('')}`);
      }
      console.log(`  steady (the warm run's last third): ${ms(steady)}; the cold run's last third: ${ms(lastThird(cold))}`);
      // A single second moves by 10–20% at steady state on this kind of host (the spread printed); the
      // median of the first three is what the goal holds to.
      const steadySeconds = known(warm.slice(Math.floor((warm.length * 2) / 3)));
      const spread = steadySeconds.length > 0 ? `${ms(Math.min(...steadySeconds))}–${ms(Math.max(...steadySeconds))}` : '–';
      const firstThree = known(warm.slice(0, 3));
      console.log(
        `  the warm run's first three seconds from steady: ${warm.slice(0, 3).map(off).join(', ')}, their median ${off(firstThree.length > 0 ? median(firstThree) : null)} ` +
          `(goal: within 10%; the steady seconds themselves span ${spread}); the cold run's first three: ${cold.slice(0, 3).map(off).join(', ')}\n`,
      );
    }
  } finally {
    await database.stop();
  }
});
