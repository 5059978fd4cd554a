// A scenario target with a known answer time, for the accuracy bench: every request is held for
// DELAY_MS; from STALL_AT_MS after start, for STALL_MS, answers are held until the stall ends.
// It measures what it really did (from the read that brought a request's first bytes to the write
// of its answer, per step, and the three added up per user, each user being one connection) so the
// client's figures can be set against the truth rather than against the nominal delay; GET /stats
// returns those figures and the target's own event-loop delay.
// Prints its URL on stdout, then serves until SIGTERM.
//
// It is kept lean because whatever keeps its event loop busy is time a request waits unseen in its
// socket: in the client's figure, missing from the target's. So it is plain `net`, not `http`, the
// answers are prebuilt bytes, and the held requests wait in one queue behind one timer (a constant
// delay comes due in arrival order) instead of a closure and a Timeout each.
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { newTimeHistogram, summarise } from '../common/histogram.js';
import type { StepName } from '../common/result.js';
import { frameRequest } from './request-frame.js';

const delayMs = Number(process.env['DELAY_MS'] ?? 0);
const stallAtMs = Number(process.env['STALL_AT_MS'] ?? -1);
const stallMs = Number(process.env['STALL_MS'] ?? 0);
const measuredTag = process.env['MEASURED_TAG'] || undefined;
/** How a measured user's post names its run in the form body: `bl:<tag>:<user>`, percent-encoded. */
const measuredNeedle = measuredTag === undefined ? undefined : Buffer.from(`body=bl%3A${encodeURIComponent(measuredTag)}%3A`);
const startedMs = performance.now();
const held = { get: newTimeHistogram(), post: newTimeHistogram(), redirect: newTimeHistogram() };
/** Per user (one connection): its three holds added up, recorded when the last is answered. */
const heldPerUser = newTimeHistogram();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

// Nothing checks that the token differs between users, so every page carries the same one.
const TOKEN = '5eed0123456789abcdef0123456789ab';
const entries = Array.from({ length: 20 }, (_, i) => `<li id="e${i}">entry ${i}</li>`).join('\n');
const page = `<form method="post" action="/"><input type="hidden" name="csrf" value="${TOKEN}"></form>\n<ol class="entries">\n${entries}\n</ol>\n`;
const common = `x-backend: delay-target\r\nx-worker: ${process.pid}\r\ncontent-type: text/html; charset=utf-8\r\n`;
const ANSWERS: Readonly<Record<StepName, Buffer>> = {
  get: Buffer.from(`HTTP/1.1 200 OK\r\n${common}set-cookie: csrftoken=${TOKEN}; Path=/\r\ncontent-length: ${Buffer.byteLength(page)}\r\n\r\n${page}`),
  post: Buffer.from(`HTTP/1.1 302 Found\r\n${common}location: /\r\ncontent-length: 0\r\n\r\n`),
  redirect: Buffer.from(`HTTP/1.1 200 OK\r\n${common}content-length: ${Buffer.byteLength(page)}\r\n\r\n${page}`),
};
const BAD_REQUEST = Buffer.from('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');

/** What the target held one connection's requests so far, in microseconds. */
interface UserHeld {
  us: number;
  /** Whether its figures count: known from its post when a run tag is set. */
  measured: boolean | undefined;
  /** The get step's hold, kept until the post says whether the user counts. */
  getUs: number;
}

interface Held {
  socket: Socket;
  user: UserHeld;
  step: StepName;
  receivedMs: number;
  dueMs: number;
}

/** Held requests in arrival order, which is also the order they come due. */
const queue: Held[] = [];
let queueHead = 0;
let timer: NodeJS.Timeout | undefined;

/** When a request arriving now is due: after the fixed delay, or after the stall ends. */
function dueMs(now: number): number {
  const sinceStart = now - startedMs;
  const inStall = stallAtMs >= 0 && sinceStart >= stallAtMs && sinceStart < stallAtMs + stallMs;
  return inStall ? startedMs + stallAtMs + stallMs + delayMs : now + delayMs;
}

function hold(request: Held): void {
  queue.push(request);
  if (timer === undefined) arm(performance.now());
}

function arm(now: number): void {
  // Timers fire on whole milliseconds, never early: round up, the lateness is measured anyway.
  timer = setTimeout(answerDue, Math.max(1, Math.ceil(queue[queueHead]!.dueMs - now)));
}

function answerDue(): void {
  timer = undefined;
  let now = performance.now();
  while (queueHead < queue.length && queue[queueHead]!.dueMs <= now) {
    const request = queue[queueHead]!;
    queue[queueHead++] = undefined as unknown as Held;
    if (!request.socket.destroyed) {
      request.socket.write(ANSWERS[request.step]);
      now = performance.now();
      const us = Math.round((now - request.receivedMs) * 1000);
      const user = request.user;
      user.us += us;
      if (request.step === 'get' && user.measured === undefined) user.getUs = us;
      else if (user.measured === true) held[request.step].recordValue(us);
      if (request.step === 'redirect' && user.measured === true) heldPerUser.recordValue(user.us);
    }
  }
  if (queueHead === queue.length) {
    queue.length = 0;
    queueHead = 0;
  } else {
    arm(now);
  }
}

function stats(): string {
  return JSON.stringify({
    get: summarise(held.get),
    post: summarise(held.post),
    redirect: summarise(held.redirect),
    user: summarise(heldPerUser),
    eventLoopDelayUs: {
      p50: Math.round(loopDelay.percentile(50) / 1000),
      p99: Math.round(loopDelay.percentile(99) / 1000),
      max: Math.round(loopDelay.max / 1000),
    },
  });
}

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  const user: UserHeld = { us: 0, measured: measuredNeedle === undefined ? true : undefined, getUs: 0 };
  let pending: Buffer | undefined;
  /** When the first bytes of the request being received arrived. */
  let firstBytesMs = 0;
  socket.on('data', (chunk: Buffer) => {
    const now = performance.now();
    if (pending === undefined) firstBytesMs = now;
    const buffer = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    let start = 0;
    for (;;) {
      let frame: ReturnType<typeof frameRequest>;
      try {
        frame = frameRequest(buffer, start);
      } catch {
        socket.end(BAD_REQUEST);
        return;
      }
      if (frame === undefined) break;
      if (frame.path === '/stats') {
        const body = stats();
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      const step: StepName = frame.method === 'POST' ? 'post' : frame.hasCookie ? 'redirect' : 'get';
      if (step === 'post' && user.measured === undefined) {
        const at = buffer.indexOf(measuredNeedle!, start);
        user.measured = at >= 0 && at < frame.end;
        // Answered before the post said whether the user counts.
        if (user.measured) held.get.recordValue(user.getUs);
      }
      hold({ socket, user, step, receivedMs: firstBytesMs, dueMs: dueMs(firstBytesMs) });
      start = frame.end;
      firstBytesMs = now;
    }
    // Each read brings a buffer of its own, so the rest can be kept as it is.
    if (start < buffer.length) pending = buffer.subarray(start);
  });
  // A user that gave up or finished may reset the connection: nothing to do but forget it.
  socket.on('error', () => socket.destroy());
}

const server = net.createServer(serve);
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.once('SIGTERM', () => process.exit(0));
