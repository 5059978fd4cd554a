// Loaded into every process and thread of a variant under `npm run bench:profile` (NODE_OPTIONS
// --import; Node runs it in worker threads too). Node 20 refuses --cpu-prof in NODE_OPTIONS, and its
// profile of a piscina thread would be lost when piscina terminates the thread, so each thread runs
// V8's profiler through its own inspector session instead, between two files the bench writes:
// `start` begins the window, `stop` ends it and writes `<role>-<pid>-<thread>.cpuprofile` and a
// `.json` with the connections the thread's servers accepted in the window and the CPU it used.
// Worker threads are profiled by their process's main thread through the inspector (see
// workerThreads). Without BENCHLAB_PROFILE_DIR it does nothing.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Session } from 'node:inspector';
import cluster from 'node:cluster';
import { isMainThread, threadId } from 'node:worker_threads';

export const PROFILE_DIR_ENV = 'BENCHLAB_PROFILE_DIR';
export const PROFILE_INTERVAL_ENV = 'BENCHLAB_PROFILE_INTERVAL_US';
/** `count`: only the counts and CPU figures, no profiler (the protocol-cost bench). */
export const PROFILE_MODE_ENV = 'BENCHLAB_PROFILE_MODE';

/** What each thread writes beside its profile. */
export interface ThreadCounts {
  role: string;
  pid: number;
  threadId: number;
  /** Connections its servers accepted between start and stop. */
  connections: number;
  /** Requests its HTTP or FastCGI servers were handed in the window. */
  requests: number;
  /** CPU this thread used in the window (user + system, /proc/thread-self/stat), ms. */
  threadCpuMs: number | null;
  /** CPU the whole process used in the window (all its threads), ms; written by main threads only. */
  processCpuMs: number | null;
}

/** utime + stime of the calling thread, in clock ticks (USER_HZ, 100 on Linux). */
function threadTicks(): number | null {
  try {
    const text = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

const TICK_MS = 10;

function processMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const POLL_MS = 50;

function roleOf(): string {
  if (!isMainThread) return 'thread';
  return cluster.isWorker ? 'worker' : 'main';
}

/** What a thread measures of itself between start and stop. */
function tally() {
  let connections = 0;
  let requests = 0;
  let ticksAtStart: number | null = null;
  let processMsAtStart = 0;
  // Every server of the app is a net.Server (http.Server, node-fastcgi's Server): count what they emit.
  const proto = net.Server.prototype as unknown as { emit: (this: net.Server, event: string | symbol, ...args: unknown[]) => boolean };
  const emit = proto.emit;
  proto.emit = function (event, ...args) {
    if (event === 'connection') connections += 1;
    else if (event === 'request') requests += 1;
    return emit.call(this, event, ...args);
  };
  return {
    start() {
      connections = 0;
      requests = 0;
      ticksAtStart = threadTicks();
      processMsAtStart = processMs();
    },
    stop(): ThreadCounts {
      const ticks = threadTicks();
      return {
        role: roleOf(),
        pid: process.pid,
        threadId,
        connections,
        requests,
        threadCpuMs: ticks !== null && ticksAtStart !== null ? (ticks - ticksAtStart) * TICK_MS : null,
        processCpuMs: isMainThread ? processMs() - processMsAtStart : null,
      };
    },
  };
}

/** How the main thread reaches a worker thread's hook and inspector. */
const WORKER_HOOK = '__benchlabProfileHook';

type Post = (method: string, params?: object) => Promise<{ result?: Record<string, unknown>; error?: unknown }>;

/**
 * The worker threads of this process, reached through the main thread's inspector (NodeWorker):
 * a piscina thread waiting for work blocks in Atomics.wait, where its own timers never run, but the
 * inspector's messages interrupt the wait.
 */
function workerThreads(session: Session) {
  const workers = new Map<string, Post>();
  const waiting = new Map<number, (answer: { result?: Record<string, unknown>; error?: unknown }) => void>();
  let nextId = 1;
  session.on('NodeWorker.attachedToWorker', (message: { params: { sessionId: string } }) => {
    const sessionId = message.params.sessionId;
    workers.set(sessionId, (method, params = {}) => {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) });
      });
    });
  });
  session.on('NodeWorker.receivedMessageFromWorker', (message: { params: { message: string } }) => {
    const answer = JSON.parse(message.params.message) as { id?: number; result?: Record<string, unknown>; error?: unknown };
    if (answer.id === undefined) return;
    waiting.get(answer.id)?.(answer);
    waiting.delete(answer.id);
  });
  const evaluate = async (post: Post, expression: string) =>
    ((await post('Runtime.evaluate', { expression, returnByValue: true })).result?.['result'] as { value?: unknown } | undefined)?.value;
  return {
    async attach(): Promise<void> {
      session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
      // Every running worker is reported at once, each in its own message.
      await new Promise((resolve) => setTimeout(resolve, 100));
    },
    async start(interval: number): Promise<void> {
      for (const post of workers.values()) {
        await post('Profiler.enable');
        if (Number.isInteger(interval) && interval > 0) await post('Profiler.setSamplingInterval', { interval });
        await evaluate(post, `globalThis.${WORKER_HOOK}?.start()`);
        await post('Profiler.start');
      }
    },
    async stop(dir: string): Promise<void> {
      for (const post of workers.values()) {
        const stopped = await post('Profiler.stop');
        const counts = (await evaluate(post, `globalThis.${WORKER_HOOK}?.stop()`)) as ThreadCounts | undefined;
        if (counts === undefined) continue;
        const name = `${counts.role}-${counts.pid}-${counts.threadId}`;
        if (stopped.result !== undefined) fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(stopped.result['profile']));
        fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(counts));
      }
    },
  };
}

function hook(dir: string): void {
  const own = tally();
  if (!isMainThread) {
    // Driven by the main thread (workerThreads above): no timer of its own.
    (globalThis as Record<string, unknown>)[WORKER_HOOK] = own;
    return;
  }
  const session = new Session();
  const threads = workerThreads(session);
  let state: 'waiting' | 'busy' | 'profiling' | 'done' = 'waiting';
  const interval = Number(process.env[PROFILE_INTERVAL_ENV] ?? '');
  const profiling = process.env[PROFILE_MODE_ENV] !== 'count';
  const name = `${roleOf()}-${process.pid}-${threadId}`;

  const begin = async () => {
    if (profiling) {
      session.connect();
      await threads.attach();
      await threads.start(interval);
      session.post('Profiler.enable');
      if (Number.isInteger(interval) && interval > 0) session.post('Profiler.setSamplingInterval', { interval });
    }
    own.start();
    // An inspector session on its own thread answers synchronously.
    if (profiling) session.post('Profiler.start');
  };
  const end = async () => {
    const counts = own.stop();
    if (profiling) {
      session.post('Profiler.stop', (error, result) => {
        if (error === null) fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(result.profile));
      });
      await threads.stop(dir);
      session.disconnect();
    }
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(counts));
  };

  const poll = setInterval(() => {
    if (state === 'waiting' && fs.existsSync(path.join(dir, 'start'))) {
      state = 'busy';
      void begin().finally(() => {
        state = 'profiling';
      });
    } else if (state === 'profiling' && fs.existsSync(path.join(dir, 'stop'))) {
      state = 'done';
      clearInterval(poll);
      void end();
    }
  }, POLL_MS);
  poll.unref();
}

const dir = process.env[PROFILE_DIR_ENV];
if (dir !== undefined && dir !== '') hook(dir);
