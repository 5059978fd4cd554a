// `benchlab load`: the scenario client on its own, against any target that speaks the contract.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { LoadResult } from '../common/result.js';
import { LOAD_DEFAULTS, RUN_DEFAULTS } from '../common/defaults.js';
import { MAX_THREADS, validateLoadOptions } from '../client/load-options.js';
import type { LoadHooks } from '../client/load-run.js';
import { formatProgressLine } from '../client/progress.js';
import { startLaunchThread } from '../client/launch-timer.js';
import { MAX_RUN_TAG_CHARS } from '../client/post-marker.js';
import { optionError } from '../common/errors.js';
import { abortOnSignals } from '../lab/interrupt.js';
import { parseMetaOptions } from './meta-option.js';
import { action } from './action.js';
import { arrivalOptions, withDefault } from './options.js';
import { parseInteger, parseSeconds } from '../common/option-parsers.js';
import { arrivalModel, type ClosedModel, type RawArrivalOptions } from '../lab/arrival-options.js';
import { assertNotLate, parseStartAt, waitUntil } from '../lab/stack/start-time.js';
import { waitForTarget } from '../lab/stack/target-ready.js';
import { writeProgressFile } from '../lab/progress/client-progress-file.js';
import { passStartGate, READY_FILE_ENV, START_GATE_ENV } from '../lab/stack/start-gate.js';

export interface RawLoadCommandOptions extends RawArrivalOptions {
  target?: string;
  timeout?: string;
  arrival?: string;
  seed?: string;
  expectBackend?: string;
  checkOwnPost?: boolean;
  onSaturation?: string;
  label?: string;
  runTag?: string;
  out?: string;
  json?: boolean;
  quiet?: boolean;
  /** ISO 8601 or epoch ms; default $BENCHLAB_START_AT, empty means now. */
  startAt?: string;
  /** Seconds to wait for the target's /healthz before starting. */
  waitForTarget?: string;
  /** Uncounted users before the measured ones (and before --start-at). */
  warmupUsers?: string;
  /** Uncounted users against a stand-in guestbook in this process, warming the client's own code. */
  selfWarmUsers?: string;
  meta?: string[];
  /** Replace this file with the live counts as JSON each second, for a lab watching the run. */
  progressFile?: string;
  /** Event loops (worker threads) of this process sharing its users. */
  threads?: string;
}

const PROGRESS_INTERVAL_MS = 500;

/** One day. */
const MAX_WAIT_FOR_TARGET_SECONDS = 86_400;

/**
 * `--out` names a file, or a directory (ending in / or existing) where each client process writes its
 * own shard, so replicas sharing one results folder never overwrite each other.
 */
function resultFile(out: string): string {
  const isDirectory = out.endsWith('/') || (fs.existsSync(out) && fs.statSync(out).isDirectory());
  const dir = isDirectory ? out : path.dirname(out);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw optionError('--out', `cannot write into ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return isDirectory ? path.join(dir, `shard-${os.hostname()}-${process.pid}.json`) : out;
}

/** The report's table for one result; loaded only to print it, as clients the lab starts are --quiet. */
async function summaryText(result: LoadResult): Promise<string> {
  const [{ summaryTable }, { loadAsVariant }] = await Promise.all([import('../report/summary-table.js'), import('../report/load-as-variant.js')]);
  return summaryTable([loadAsVariant(result)], { color: process.stdout.isTTY === true });
}

/** --mode peak: plain GET / as fast as the target answers, for the server's ceiling. */
async function peakCommand(raw: RawLoadCommandOptions, closed: ClosedModel): Promise<void> {
  const { target, timeoutMs } = validateLoadOptions({ target: raw.target, timeoutMs: raw.timeout });
  // Loaded only here: a scenario client process needs none of it.
  const { runPeak } = await import('../client/peak.js');
  const result = await runPeak(target, closed.connections, closed.durationSeconds, timeoutMs);
  if (raw.out !== undefined) fs.writeFileSync(resultFile(raw.out), `${JSON.stringify(result, null, 2)}\n`);
  if (raw.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (!raw.quiet) {
    process.stdout.write(
      `GET / peak: ${result.requestsPerSecond.toFixed(0)} req/s over ${result.connections} connections, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}\n`,
    );
  }
}

/** The scenario's settings from the command line: every default `benchlab load` uses is taken here. */
export function loadSettingsFrom(raw: RawLoadCommandOptions, env: NodeJS.ProcessEnv = process.env) {
  const { mode, closed } = arrivalModel(raw, ['closed', 'peak'] as const);
  const options = validateLoadOptions({
    target: raw.target,
    variant: raw.label,
    users: raw.users,
    rampSeconds: raw.ramp,
    timeoutMs: raw.timeout,
    arrival: raw.arrival,
    seed: raw.seed,
    runTag: raw.runTag,
    expectBackend: raw.expectBackend,
    checkOwnPost: raw.checkOwnPost,
    shard: raw.shard,
    stages: raw.stages,
    maxActive: raw.maxActive,
    onSaturation: raw.onSaturation,
    ...(closed && mode === 'closed' ? { closed } : {}),
  });
  const startOption = raw.startAt !== undefined ? '--start-at' : '--start-at (from BENCHLAB_START_AT)';
  return {
    mode,
    closed,
    options,
    meta: parseMetaOptions(raw.meta ?? []),
    startOption,
    startMs: parseStartAt(raw.startAt ?? env['BENCHLAB_START_AT'], Date.now(), startOption),
    // Started by the lab ahead of time: ready now, the lab says when to start.
    gate: env[START_GATE_ENV] || undefined,
    waitSeconds: raw.waitForTarget === undefined ? undefined : parseSeconds('--wait-for-target', raw.waitForTarget, 0, MAX_WAIT_FOR_TARGET_SECONDS),
    warmupUsers: raw.warmupUsers === undefined ? LOAD_DEFAULTS.warmupUsers : parseInteger('--warmup-users', raw.warmupUsers, 0, 100_000),
    selfWarmUsers: raw.selfWarmUsers === undefined ? LOAD_DEFAULTS.selfWarmUsers : parseInteger('--self-warm-users', raw.selfWarmUsers, 0, 100_000),
    threads: raw.threads === undefined ? LOAD_DEFAULTS.threads : parseInteger('--threads', raw.threads, 1, MAX_THREADS),
  };
}

/** `benchlab load`: the scenario client on its own, against any target that speaks the contract. */
export async function loadCommand(raw: RawLoadCommandOptions): Promise<void> {
  const { runLoadWatched, warmUp } = await import('../client/load.js');
  const { mode, closed } = arrivalModel(raw, ['closed', 'peak'] as const);
  if (mode === 'peak') {
    if (raw.threads !== undefined) throw optionError('--threads', 'applies to the scenario (open and closed modes), not to --mode peak');
    return peakCommand(raw, closed!);
  }
  const settings = loadSettingsFrom(raw);
  const { options, meta, startOption, gate, waitSeconds, warmupUsers, selfWarmUsers, threads } = settings;
  let startMs = settings.startMs;
  const outFile = raw.out === undefined ? undefined : resultFile(raw.out);
  const live = !raw.quiet && !raw.json && process.stdout.isTTY === true;
  const progressFile = raw.progressFile;
  // Several event loops boot while the target is awaited and warmed up.
  const loops =
    threads > 1 ? (await import('../client/load-threads.js')).startLoadThreads(options, threads, live || progressFile !== undefined, selfWarmUsers) : undefined;
  // So does this loop's launch timer thread: its start would otherwise fall in the measured window's first 100 ms.
  if (loops === undefined && options.closed === undefined) startLaunchThread();
  const interrupt = abortOnSignals();
  let lastDrawMs = 0;
  try {
    if (selfWarmUsers > 0 && loops === undefined) {
      const { warmClientCode } = await import('../client/self-warm.js');
      await warmClientCode(options, selfWarmUsers, interrupt.signal);
    }
    if (waitSeconds !== undefined) await waitForTarget(options.target, waitSeconds * 1000, interrupt.signal);
    // Like benchlab run's warm-up: the same users, uncounted, before the schedule and its common start.
    // Its posts carry a tag of their own, so an audit of a table nothing empties afterwards (compose) can set them apart.
    const warmupTag = `${options.runTag!.slice(0, MAX_RUN_TAG_CHARS - 1)}w`;
    if (warmupUsers > 0) await warmUp(options, warmupUsers, warmupTag, interrupt.signal);
    await loops?.ready;
    if (gate !== undefined) startMs = await passStartGate(gate, process.env[READY_FILE_ENV] || `${gate}.${process.pid}.ready`, interrupt.signal);
    if (startMs !== undefined) {
      assertNotLate(startMs, Date.now(), startOption);
      await waitUntil(startMs, interrupt.signal);
    }
    const hooks: LoadHooks = {
      signal: interrupt.signal,
      ...(live || progressFile !== undefined
        ? {
            onProgress: (p) => {
              if (progressFile !== undefined) writeProgressFile(progressFile, p);
              const now = performance.now();
              if (!live || now - lastDrawMs < PROGRESS_INTERVAL_MS) return;
              lastDrawMs = now;
              process.stdout.write(`\r${formatProgressLine(p)}\x1b[K`);
            },
          }
        : {}),
    };
    // The client watches itself: a saturated client reports its own limits, not the server's.
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const { result: loaded, eventLoopDelayP99Ms, eventLoopDelayMaxMs } = loops ? await loops.run(hooks) : await runLoadWatched(options, hooks);
    const cpu = process.cpuUsage(cpuBefore);
    const measured: LoadResult = {
      ...loaded,
      markerTags: { measured: loaded.markerTags?.measured ?? [], warmup: warmupUsers > 0 ? [warmupTag] : [] },
      client: {
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        wallSeconds: (performance.now() - wallBefore) / 1000,
        eventLoopDelayP99Ms,
        eventLoopDelayMaxMs,
        // Several loops on fewer CPUs share them: a saturated CPU must read as one.
        ...(threads > 1 ? { processes: 1, eventLoops: threads, cpus: Math.min(threads, os.availableParallelism()) } : {}),
      },
    };
    if (live) process.stdout.write('\n');
    const result = meta === undefined ? measured : { ...measured, meta };
    if (outFile !== undefined) fs.writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
    if (raw.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (!raw.quiet) process.stdout.write(`${await summaryText(result)}\n`);
    const stopped = interrupt.interrupted();
    if (stopped) throw stopped;
  } catch (error) {
    throw interrupt.interrupted() ?? error;
  } finally {
    interrupt.dispose();
    await loops?.stop();
  }
}

export function defineLoad(program: Command): Command {
  const command = program
    .command('load')
    .description('replay the three-request scenario against a running target (nginx in front of a variant)')
    .requiredOption('--target <url>', 'base URL, e.g. http://127.0.0.1:8080');
  arrivalOptions(command, LOAD_DEFAULTS, ['closed', 'peak']);
  return command
    .option('--seed <n>', withDefault('seed for the poisson schedule', LOAD_DEFAULTS.seed))
    .option('--expect-backend <name>', 'count answers with another X-Backend as errors')
    .option('--no-check-own-post', "do not check that the last page shows the user's own post")
    .option('--label <name>', withDefault('name of what is measured, written into the result', 'the target'))
    .option('--shard <k/n>', 'run only every n-th user of the schedule, starting at k (one of n client processes)')
    .option(
      '--threads <n>',
      withDefault("share this client's users between n event loops (worker threads) of this one process, merged exactly", LOAD_DEFAULTS.threads),
    )
    .option('--run-tag <tag>', withDefault('makes every posted text unique to this run', 'random'))
    .option('--out <path>', 'write the result JSON to this file, or into this directory (ending in /) as shard-<host>-<pid>.json')
    .option('--start-at <time>', withDefault('start the schedule at this ISO 8601 time or epoch ms, shared by several clients', '$BENCHLAB_START_AT, else now'))
    .option('--wait-for-target <seconds>', "first wait up to this long for the target's /healthz to answer 200")
    .option(
      '--warmup-users <n>',
      withDefault(`uncounted users first, over ${RUN_DEFAULTS.warmupRampSeconds} s, as benchlab run warms a variant up`, LOAD_DEFAULTS.warmupUsers),
    )
    .option(
      '--self-warm-users <n>',
      withDefault(
        "uncounted users first against a stand-in guestbook in this process, warming the client's own code without loading the target (benchlab run's measuring clients: 2000)",
        LOAD_DEFAULTS.selfWarmUsers,
      ),
    )
    .option('--meta <key=value>', 'record this fact in the result (repeatable)', (pair: string, all: string[]) => [...all, pair], [] as string[])
    .option('--progress-file <path>', 'replace this file with the live counts as JSON each second (for a lab watching the run)')
    .option('--json', 'print the result JSON instead of the table')
    .option('--quiet', 'print nothing (use with --out)')
    .action(action(loadCommand));
}
