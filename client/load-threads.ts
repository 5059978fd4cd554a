// `benchlab load --threads N`: one client process, N event loops. Each worker thread runs every
// N-th arrival of this process's schedule (or its share of a closed pool) on its own connections,
// and the main thread merges their results exactly, as it would merge client processes: several
// loops for the memory of one process (node's own code and built-ins are loaded once).
import { Worker } from 'node:worker_threads';
import { LabError, optionError, type ErrorCode } from '../common/errors.js';
import { MAX_THREADS, type LoadOptions } from './load-options.js';
import { scheduledUsers, type WatchedLoad } from './load.js';
import { SELF_WARM_RATE } from './self-warm.js';
import type { LoadHooks } from './load-run.js';
import { mergeLoadResults } from './merge-results.js';
import type { LoadProgress } from './progress.js';

const THREAD_SUFFIX_CHARS = 3;

export type ToThread = { type: 'start' } | { type: 'abort' };
export type FromThread =
  | { type: 'ready' }
  | { type: 'progress'; progress: LoadProgress }
  | ({ type: 'done' } & WatchedLoad)
  | { type: 'error'; code: ErrorCode; message: string };

export interface LoadThreads {
  /** Resolves once every thread has loaded the client, warmed it, and waits for the start. */
  ready: Promise<void>;
  /** Starts every thread at once and resolves with their merged result and the worst of their loop delays. */
  run(hooks: LoadHooks): Promise<WatchedLoad>;
  /** Ends every thread that is still running. */
  stop(): Promise<void>;
}

/** Part `j` of `total` split into `parts` as evenly as it goes (the first ones take the remainder). */
export function shareOf(total: number, parts: number, j: number): number {
  return Math.floor(total / parts) + (j < total % parts ? 1 : 0);
}

/**
 * Thread `j`'s options: arrival k of this process goes to thread k mod N; a closed pool and an
 * in-flight cap are split between the threads, so that together they are the process's.
 */
export function threadOptions(options: LoadOptions, threads: number, j: number): LoadOptions {
  const runTag = `${options.runTag!.slice(0, 32 - THREAD_SUFFIX_CHARS)}t${j}`;
  const cap = options.maxActive !== undefined ? { maxActive: shareOf(options.maxActive, threads, j) } : {};
  if (options.closed) {
    return { ...options, ...cap, runTag, closed: { ...options.closed, connections: shareOf(options.closed.connections, threads, j) } };
  }
  // Thread j of process shard i/n takes arrivals i + n·j modulo n·N: together, exactly the process's.
  const { index, count } = options.shard ?? { index: 0, count: 1 };
  return { ...options, ...cap, runTag, shard: { index: index + count * j, count: count * threads } };
}

/** Refuses a thread count that would leave a thread without users. */
export function checkThreads(options: LoadOptions, threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw optionError('--threads', `must be an integer from 1 to ${MAX_THREADS} (got ${threads})`);
  const users = options.closed ? options.closed.connections : scheduledUsers(options);
  if (users < threads) {
    const what = options.closed ? `--connections ${users}` : `this client's ${users} users`;
    throw optionError('--threads', `is ${threads}, more than ${what}: every thread needs one`);
  }
  if (options.maxActive !== undefined && options.maxActive < threads) {
    throw optionError('--threads', `is ${threads}, more than --max-active ${options.maxActive}: every thread needs a slot`);
  }
}

function combined(latest: readonly (LoadProgress | undefined)[]): LoadProgress {
  const sum = { elapsedSeconds: 0, scheduled: 0, started: 0, ok: 0, failed: 0, inFlight: 0 };
  for (const p of latest) {
    if (p === undefined) continue;
    sum.elapsedSeconds = Math.max(sum.elapsedSeconds, p.elapsedSeconds);
    sum.scheduled += p.scheduled;
    sum.started += p.started;
    sum.ok += p.ok;
    sum.failed += p.failed;
    sum.inFlight += p.inFlight;
  }
  return sum;
}

/**
 * Boots `threads` worker threads for a validated load, each first warming its code with
 * `selfWarmUsers` of its own, the threads sharing the self-warm's rate; they wait for run().
 */
export function startLoadThreads(options: LoadOptions, threads: number, progress: boolean, selfWarmUsers = 0): LoadThreads {
  checkThreads(options, threads);
  const workers = Array.from(
    { length: threads },
    (_, j) =>
      new Worker(new URL('./load-thread.js', import.meta.url), {
        workerData: { options: threadOptions(options, threads, j), progress, selfWarmUsers, selfWarmRate: SELF_WARM_RATE / threads },
      }),
  );
  // How each thread ends: with its result, or with the error that stopped it.
  const ended = workers.map(
    (worker) =>
      new Promise<Extract<FromThread, { type: 'done' }>>((resolve, reject) => {
        worker.on('message', (m: FromThread) => {
          if (m.type === 'done') resolve(m);
          else if (m.type === 'error') reject(new LabError(m.code, m.message));
        });
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new LabError('BL_ERR_START', `a client thread ended (code ${code}) before its result`)));
      }),
  );
  for (const e of ended) e.catch(() => {});
  const ready = Promise.all(
    workers.map(
      (worker, j) =>
        new Promise<void>((resolve, reject) => {
          worker.on('message', (m: FromThread) => m.type === 'ready' && resolve());
          ended[j]!.catch(reject);
        }),
    ),
  ).then(() => {});
  ready.catch(() => {});

  async function run(hooks: LoadHooks): Promise<WatchedLoad> {
    await ready;
    const latest: (LoadProgress | undefined)[] = workers.map(() => undefined);
    workers.forEach((worker, j) => {
      worker.on('message', (m: FromThread) => {
        if (m.type !== 'progress') return;
        latest[j] = m.progress;
        hooks.onProgress?.(combined(latest));
      });
    });
    const abort = () => {
      for (const worker of workers) worker.postMessage({ type: 'abort' } satisfies ToThread);
    };
    if (hooks.signal?.aborted) throw hooks.signal.reason;
    hooks.signal?.addEventListener('abort', abort, { once: true });
    try {
      for (const worker of workers) worker.postMessage({ type: 'start' } satisfies ToThread);
      const done = await Promise.all(ended);
      const result = mergeLoadResults(done.map((d, j) => ({ source: `client thread ${j}`, result: d.result })));
      return {
        result,
        eventLoopDelayP99Ms: Math.max(...done.map((d) => d.eventLoopDelayP99Ms)),
        eventLoopDelayMaxMs: Math.max(...done.map((d) => d.eventLoopDelayMaxMs)),
      };
    } finally {
      hooks.signal?.removeEventListener('abort', abort);
    }
  }

  return {
    ready,
    run,
    stop: async () => {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
