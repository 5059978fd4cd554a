// Loaded into every process and thread of a variant under `npm run bench:profile` (NODE_OPTIONS
// --import; Node runs it in worker threads too). Node 20 refuses --cpu-prof in NODE_OPTIONS, and its
// profile of a piscina thread would be lost when piscina terminates the thread, so each thread runs
// V8's profiler through its own inspector session instead, between two files the bench writes:
// `start` begins the window, `stop` ends it and writes `<role>-<pid>-<thread>.cpuprofile` and a
// `.json` with the connections the thread's servers accepted in the window. Without
// BENCHLAB_PROFILE_DIR it does nothing.
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

function hook(dir: string): void {
  let connections = 0;
  let requests = 0;
  // Every server of the app is a net.Server (http.Server, node-fastcgi's Server): count what they emit.
  const proto = net.Server.prototype as unknown as { emit: (this: net.Server, event: string | symbol, ...args: unknown[]) => boolean };
  const emit = proto.emit;
  proto.emit = function (event, ...args) {
    if (event === 'connection') connections += 1;
    else if (event === 'request') requests += 1;
    return emit.call(this, event, ...args);
  };

  const session = new Session();
  let state: 'waiting' | 'profiling' | 'done' = 'waiting';
  const interval = Number(process.env[PROFILE_INTERVAL_ENV] ?? '');
  const profiling = process.env[PROFILE_MODE_ENV] !== 'count';
  const name = `${roleOf()}-${process.pid}-${threadId}`;
  let ticksAtStart: number | null = null;
  let processMsAtStart = 0;

  const poll = setInterval(() => {
    if (state === 'waiting' && fs.existsSync(path.join(dir, 'start'))) {
      if (profiling) {
        session.connect();
        session.post('Profiler.enable');
        if (Number.isInteger(interval) && interval > 0) session.post('Profiler.setSamplingInterval', { interval });
      }
      connections = 0;
      requests = 0;
      ticksAtStart = threadTicks();
      processMsAtStart = processMs();
      // An inspector session on its own thread answers synchronously.
      if (profiling) session.post('Profiler.start');
      state = 'profiling';
    } else if (state === 'profiling' && fs.existsSync(path.join(dir, 'stop'))) {
      state = 'done';
      clearInterval(poll);
      const ticks = threadTicks();
      const threadCpuMs = ticks !== null && ticksAtStart !== null ? (ticks - ticksAtStart) * TICK_MS : null;
      const processCpuMs = isMainThread ? processMs() - processMsAtStart : null;
      const counts: ThreadCounts = { role: roleOf(), pid: process.pid, threadId, connections, requests, threadCpuMs, processCpuMs };
      if (!profiling) {
        fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(counts));
        return;
      }
      session.post('Profiler.stop', (error, result) => {
        if (error === null) fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(result.profile));
        fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(counts));
        session.disconnect();
      });
    }
  }, POLL_MS);
  poll.unref();
}

const dir = process.env[PROFILE_DIR_ENV];
if (dir !== undefined && dir !== '') hook(dir);
