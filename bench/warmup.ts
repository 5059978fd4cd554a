// How warm the server is when the measurement starts: the app's CPU per user, second by second, of a
// run at a fixed rate on a variant just started (cold), and of the same run after the lab's warm-up
// at that rate (lab/warm-up.ts). The warm-up is good enough when the median of the warm runs' first
// three seconds is within 10% of the steady value: the median of the warm runs' last thirds, long
// after the warm-up. One second's figure moves by 10–40% on this kind of host, largely with how the
// load spread over the workers, so the warm run is repeated (`--repeat`, the variants' order turned
// each time) and every second's busiest worker's share is printed beside its cost. As a control, the
// same test is made of three-second windows from the middle third of each warm run: a warm-up can do
// no better than seconds long after it.
//   npm run bench:warmup [-- --rate 200 --seconds 30 --repeat 3 --only http-prefork-fastify]
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { VARIANT_SETS, findVariant } from '../apps/variants.js';
import { runLoad, type LoadProgress } from '../client/load.js';
import { RUN_DEFAULTS } from '../common/defaults.js';
import { busiestShare } from '../common/worker-share.js';
import { openDatabase } from '../lab/run.js';
import { runOptionsFrom } from '../lab/run-options.js';
import { stackOptionsOf } from '../lab/variant-run.js';
import { treeCpuNs } from '../lab/stack/sampler.js';
import { settle } from '../lab/stack/settle.js';
import { startVariantStack, type VariantStack } from '../lab/stack/variant-stack.js';
import { costsText, DEFAULT_WARM_UP, warmUntilSteady, type WarmStack } from '../lab/warm-up.js';
import { benchCpus, integerOptions, machineLine, runBench } from './bench-setup.js';

const DESIGN = VARIANT_SETS['design']!.map((name) => findVariant(name)!.name);
const options = integerOptions({ rate: 200, seconds: 30, repeat: 3 }, DESIGN);
/** The load reports progress about once a second; a shorter report (the one at its end) is no second. */
const MIN_SECOND = 0.9;
/** Seconds per printed row. */
const ROW_SECONDS = 15;
/** A second whose busiest worker served at least this share counts as "on one worker". */
const ONE_WORKER = 0.9;
/** The goal: the warm start within this share of the steady cost. */
const GOAL = 0.1;

/** One second of a run: the app's CPU ms per arriving user, the busiest worker's share, users in flight at its end. */
interface Second {
  cost: number | null;
  share: number | null;
  inFlight: number;
}

/** The seconds of a run at `options.rate` users/s for `options.seconds`; `onStart` as it starts. */
async function perSecond(stack: VariantStack, tag: string, signal: AbortSignal, onStart: () => void): Promise<Second[]> {
  onStart();
  const seconds: Second[] = [];
  let last = { at: 0, cpuNs: treeCpuNs(stack.app.pid), started: 0, workers: {} as Readonly<Record<string, number>> };
  const onProgress = (p: LoadProgress): void => {
    if (p.elapsedSeconds - last.at < MIN_SECOND || seconds.length >= options.seconds) return;
    const now = { at: p.elapsedSeconds, cpuNs: treeCpuNs(stack.app.pid), started: p.started, workers: p.workers ?? {} };
    const arrivals = now.started - last.started;
    seconds.push({
      // Per arriving user: at a fixed rate the arrivals are steady, while completions lag behind at the start.
      cost: arrivals > 0 ? (now.cpuNs - last.cpuNs) / 1e6 / arrivals : null,
      share: busiestShare(Object.entries(now.workers).map(([worker, responses]) => responses - (last.workers[worker] ?? 0))),
      inFlight: p.inFlight,
    });
    last = now;
  };
  await runLoad(
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
    { signal, onProgress },
  );
  return seconds;
}

// A figure nothing was measured for (a median of no seconds) prints "–", never a number.
const ms = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '–');
const cell = (v: number | null | undefined) => ms(v).padStart(6);
const shareCell = (v: number | null | undefined) => (typeof v === 'number' ? `${Math.round(v * 100)}%` : '–').padStart(6);
const percent = (v: number | null, from: number | null) =>
  v === null || from === null || !(from > 0) ? '–' : `${v >= from ? '+' : ''}${(((v - from) / from) * 100).toFixed(0)}%`;

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const costs = (seconds: readonly Second[]) => seconds.flatMap((s) => (s.cost === null ? [] : [s.cost]));
const firstThree = (run: readonly Second[]) => run.slice(0, 3);
const lastThird = (run: readonly Second[]) => run.slice(Math.floor((run.length * 2) / 3));
const shares = (seconds: readonly Second[]) => seconds.flatMap((s) => (s.share === null ? [] : [s.share]));
const onOneWorker = (s: Second) => s.share !== null && s.share >= ONE_WORKER;
const spreadOut = (s: Second) => s.share !== null && s.share < ONE_WORKER;

/** Whether the median cost of `seconds` lies within the goal of `steady`; null where either was not measured. */
function withinGoal(seconds: readonly Second[], steady: number | null): boolean | null {
  const cost = median(costs(seconds));
  return cost === null || steady === null || !(steady > 0) ? null : Math.abs(cost - steady) / steady <= GOAL;
}

/**
 * The bench's own noise: three-second windows of the middle third, long after the start, each held
 * to the same test against the same run's last third. Where these miss the goal as often as the
 * first three seconds do, the misses are the host's and the spread's, not a cold start.
 */
function middleWindows(run: readonly Second[]): Second[][] {
  const windows: Second[][] = [];
  for (let at = Math.floor(run.length / 3); at + 3 <= Math.floor((run.length * 2) / 3); at += 3) windows.push(run.slice(at, at + 3));
  return windows;
}

/** The steady cost of the run's last-third seconds on the same spread as `seconds` (by their median share); null with none. */
function steadyOnSameSpread(seconds: readonly Second[], run: readonly Second[]): number | null {
  const share = median(shares(seconds));
  if (share === null) return null;
  return median(costs(lastThird(run).filter(share >= ONE_WORKER ? onOneWorker : spreadOut)));
}

/** "k of n" for the tests that could be made; "(m not measured)" for the rest. */
function countText(results: readonly (boolean | null)[]): string {
  const made = results.filter((r) => r !== null);
  const missing = results.length - made.length;
  return `${made.filter((r) => r).length} of ${made.length}${missing > 0 ? ` (${missing} –)` : ''}`;
}

function printRun(label: string, run: readonly Second[]): void {
  for (let from = 0; from < run.length; from += ROW_SECONDS) {
    const part = run.slice(from, from + ROW_SECONDS);
    console.log(`  second        ${part.map((_, i) => String(from + i + 1).padStart(6)).join('')}`);
    console.log(`  ${label.padEnd(12)}${part.map((s) => cell(s.cost)).join('')}`);
    console.log(`  busiest     ${part.map((s) => shareCell(s.share)).join('')}`);
  }
}

runBench('warmup', async (workDir, signal) => {
  const cpus = benchCpus();
  console.log(`machine: ${machineLine()}`);
  console.log(
    `${options.rate} users/s for ${options.seconds} s per run, the warm run ${options.repeat} times; app, nginx and a private MariaDB on CPU ${cpus.server ?? 'any'}, client on CPU ${cpus.client ?? 'any'}; load average ${os
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
  const names = options.only ? [options.only] : DESIGN;
  const warmRuns = new Map<string, Second[][]>(names.map((name) => [name, []]));
  try {
    await database.ensureSchema();
    for (let repetition = 0; repetition < options.repeat && !signal.aborted; repetition++) {
      // The order turns each time, so that no variant always runs first on a quiet machine.
      const order = repetition % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        if (signal.aborted) break;
        const variant = findVariant(name)!;
        // The cold run once: it shows what the warm-up buys, the repetitions are for the warm start.
        for (const mode of repetition === 0 ? (['cold', 'warm'] as const) : (['warm'] as const)) {
          await database.resetTable();
          const dir = path.join(workDir, `${name}-${mode}-${repetition + 1}`);
          fs.mkdirSync(dir, { recursive: true });
          const stack = await startVariantStack(variant, stackOptionsOf(runOptions, database, dir));
          try {
            // As the lab runs: a settled warm-up load goes on until the measured run starts, with no pause between them.
            let warm: WarmStack | undefined;
            let warmUp = '';
            if (mode === 'warm') {
              const base = { target: stack.target, variant: name, timeoutMs: 10_000, expectBackend: name, checkOwnPost: true };
              warm = await warmUntilSteady(stack, base, { ...DEFAULT_WARM_UP, rate: options.rate, minUsers: RUN_DEFAULTS.warmupUsers }, 'warm', signal, true);
              if (!warm.keptWarm) await settle(stack, database, signal);
              warmUp = `rounds ${costsText(warm.record.rounds)}; continuous ${costsText(warm.record.slices ?? [])}${warm.record.steady ? '' : ' (not settled)'}${warm.keptWarm ? ', kept going' : ', drained'}`;
            }
            let run: Second[];
            try {
              run = await perSecond(stack, mode, signal, () => void warm?.release());
            } finally {
              await warm?.release();
            }
            if (mode === 'warm') warmRuns.get(name)!.push(run);
            console.log(
              `${name}, ${mode} run${mode === 'warm' ? ` ${repetition + 1}` : ''}: app CPU ms per arriving user and the busiest worker's share, second by second`,
            );
            if (warmUp) console.log(`  warm-up: ${warmUp}`);
            printRun(mode, run);
            console.log(
              `  first three seconds ${ms(median(costs(firstThree(run))))}, last third ${ms(median(costs(lastThird(run))))} (medians); ` +
                `most in flight at a second's end ${Math.max(0, ...run.map((s) => s.inFlight))}\n`,
            );
          } finally {
            await stack.stop();
          }
        }
      }
    }
  } finally {
    await database.stop();
  }
  console.log(`Summary: the warm runs' first three seconds against the steady value (their last thirds), all repetitions together`);
  console.log(
    'variant                     runs  first three  steady  from steady  runs within 10%  per run (first three / last third)      busiest, first three / last third  steady on one worker / spread',
  );
  const tests: string[] = [];
  for (const name of names) {
    const runs = warmRuns.get(name)!;
    if (runs.length === 0) continue;
    const start = median(costs(runs.flatMap(firstThree)));
    const steady = median(costs(runs.flatMap(lastThird)));
    const perRun = runs.map((run) => `${ms(median(costs(firstThree(run))))}/${ms(median(costs(lastThird(run))))}`).join(', ');
    // Each run against its own steady value: the pooled medians can meet the goal while single runs miss it.
    const within = runs.map((run) => withinGoal(firstThree(run), median(costs(lastThird(run)))));
    const steadySeconds = runs.flatMap(lastThird);
    const onOne = median(costs(steadySeconds.filter(onOneWorker)));
    const spread = median(costs(steadySeconds.filter(spreadOut)));
    const shareText = (seconds: readonly Second[]) => {
      const m = median(shares(seconds));
      return m === null ? '–' : `${Math.round(m * 100)}%`;
    };
    console.log(
      `${name.padEnd(28)}${String(runs.length).padStart(4)}  ${ms(start).padStart(11)}  ${ms(steady).padStart(6)}  ${percent(start, steady).padStart(11)}  ${countText(within).padStart(15)}  ${perRun.padEnd(38)}  ${`${shareText(runs.flatMap(firstThree))} / ${shareText(steadySeconds)}`.padStart(33)}  ${ms(onOne)} / ${ms(spread)}`,
    );
    const middle = runs.flatMap((run) => middleWindows(run).map((window) => withinGoal(window, median(costs(lastThird(run))))));
    const sameSpread = runs.map((run) => withinGoal(firstThree(run), steadyOnSameSpread(firstThree(run), run)));
    const middleSameSpread = runs.flatMap((run) => middleWindows(run).map((window) => withinGoal(window, steadyOnSameSpread(window, run))));
    tests.push(
      `${name.padEnd(28)}${countText(within).padStart(17)}  ${countText(middle).padStart(17)}  ${countText(sameSpread).padStart(24)}  ${countText(middleSameSpread).padStart(24)}`,
    );
  }
  console.log(
    `(goal: the first three within ${GOAL * 100}% of steady; "on one worker": seconds whose busiest worker served at least ${ONE_WORKER * 100}% of the responses)`,
  );
  console.log(`\nWithin ${GOAL * 100}% of the same run's last third: the first three seconds, and as a control three-second windows of the middle third`);
  console.log(
    `${'variant'.padEnd(28)}${'first three'.padStart(17)}  ${'middle windows'.padStart(17)}  ${'first three, same spread'.padStart(24)}  ${'middle, same spread'.padStart(24)}`,
  );
  for (const line of tests) console.log(line);
  console.log(
    '(same spread: against the last third\'s seconds on one worker, or spread, as the window\'s median share was; "–": no such second to compare with)',
  );
});
