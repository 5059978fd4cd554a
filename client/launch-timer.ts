// Wakes the run's timer loop when the next user is due, to a fraction of a millisecond.
//
// Node's timers count whole milliseconds of a loop clock that is read once per turn, so a
// setTimeout comes up to a millisecond early or late against performance.now(), and a loop that
// rounds its waits up to be safe starts users about a millisecond late. The loop cannot sleep less
// than a millisecond (libuv polls with a timeout in whole milliseconds), and spinning until the due
// time would take the core the answers need. So a helper thread sleeps instead: Atomics.wait takes
// a fractional timeout, and when it runs out the thread wakes the loop through Atomics.waitAsync,
// which ends the loop's poll at once. The thread runs no JavaScript of the client's and costs
// a few microseconds per wake-up.
//
// A whole-millisecond setTimeout, rounded up, stays armed beside it: until the thread is up (it
// takes a few tens of milliseconds to start), if it cannot be started, or if it were ever late,
// the loop still comes round. Whichever comes first runs the loop; the loop itself checks what is due.
//
// A closed timer hands its thread back for the next run on the same event loop: starting a thread
// takes tens of milliseconds of the client's core, which fell in a measured run's first 200 ms
// (there 66 of 4000 users at 1000 users/s started more than 2 ms late; 15-44 with the thread kept,
// bench/README.md, "Accuracy"). A warm-up before the measurement starts it instead.
import { Worker } from 'node:worker_threads';

/** The helper thread: sleeps until the due time it is given, then tells the loop. CommonJS, evaluated. */
const WAKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const control = new Int32Array(workerData, 0, 2);
const due = new Float64Array(workerData, 8, 1);
const now = () => { const [s, ns] = process.hrtime(); return s * 1e3 + ns / 1e6; };
for (;;) {
  const armed = Atomics.load(control, 0);
  const at = due[0];
  if (at === 0) { Atomics.wait(control, 0, armed); continue; }
  const rest = at - now();
  // Re-armed or cancelled meanwhile: start over with the new due time.
  if (rest > 0 && Atomics.wait(control, 0, armed, rest) !== 'timed-out') continue;
  if (Atomics.load(control, 0) !== armed) continue;
  Atomics.store(control, 1, armed);
  Atomics.notify(control, 1);
  Atomics.wait(control, 0, armed);
}
`;

/** Atomics.waitAsync (V8 has it; TypeScript's ES2022 library does not name it). */
const waitAsync = (Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string } })
  .waitAsync;

/**
 * Shorter waits go to setTimeout alone. Each wake-up through the thread costs two thread switches
 * on the client's core (about 0.1 ms of CPU here); at 1000 users/s, a wait of about a millisecond
 * before every user, that raised the client's CPU per user by a third and its lateness p99 by half
 * (bench/README.md, "Accuracy"). Under this wait the loop is busy with answers anyway.
 */
export const PRECISE_MIN_WAIT_MS = 2;

/**
 * The thread wakes this much before the due time, and the loop spins (setImmediate, so answers are
 * still read) for what is left: waking a thread and then the loop on an idle virtual CPU took about
 * 0.2-0.3 ms, which alone put lateness p50 at 0.31 ms.
 */
export const WAKE_EARLY_MS = 0.3;

/** Slots of the shared control words. */
const ARMED = 0;
const FIRED = 1;
const NO_DUE = 0;

/** The high-resolution clock in milliseconds: the same in every thread (performance.now() has a per-thread origin). */
function hrNowMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}

/**
 * The whole milliseconds to pass to setTimeout for a wait of `waitMs`: rounded up, and at least 1,
 * so that it never comes early by its own count.
 */
export function backstopDelayMs(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs));
}

/** Whether a wait of `waitMs` is slept by the helper thread rather than by setTimeout alone. */
export function usesThread(waitMs: number): boolean {
  return waitMs >= PRECISE_MIN_WAIT_MS;
}

/** A helper thread and the memory it shares with the loop: one per timer in use, kept for the next. */
interface Waker {
  worker: Worker;
  control: Int32Array;
  due: Float64Array;
  dead: boolean;
}

/** Threads of closed timers on this event loop, ready for the next run's timer. */
const idleWakers: Waker[] = [];
let wakersStarted = 0;

/** How many helper threads this event loop has started: a run after a warm-up starts none. */
export function wakerThreadsStarted(): number {
  return wakersStarted;
}

/**
 * Starts this event loop's helper thread ahead, for a client that waits (at a start gate, say)
 * before its first run: the thread's start then falls outside the measured window.
 */
export function startLaunchThread(): void {
  if (idleWakers.some((waker) => !waker.dead)) return;
  const waker = takeWaker();
  if (waker !== undefined) idleWakers.push(waker);
}

function takeWaker(): Waker | undefined {
  for (let waker = idleWakers.pop(); waker !== undefined; waker = idleWakers.pop()) {
    if (!waker.dead) return waker;
  }
  try {
    const shared = new SharedArrayBuffer(16);
    const worker = new Worker(WAKER_SOURCE, { eval: true, workerData: shared, stdout: false, stderr: false });
    // It must never keep the process alive, nor take it down.
    worker.unref();
    const waker: Waker = { worker, control: new Int32Array(shared, 0, 2), due: new Float64Array(shared, 8, 1), dead: false };
    worker.on('error', () => (waker.dead = true));
    worker.on('exit', () => (waker.dead = true));
    wakersStarted++;
    return waker;
  } catch {
    return undefined;
  }
}

export class LaunchTimer {
  private waker: Waker | undefined;
  private backstop: NodeJS.Timeout | undefined;
  /** The arming that counts; a wake-up for an earlier one is ignored. */
  private armed = 0;
  private listening = false;
  /** The due time of the latest arming, performance.now(). */
  private dueMs = 0;
  private spin: NodeJS.Immediate | undefined;
  private closed = false;
  /** performance.now() less the thread-shared clock, both in milliseconds. */
  private readonly clockOffsetMs: number;

  constructor(
    private readonly fire: () => void,
    precise = true,
  ) {
    this.clockOffsetMs = performance.now() - hrNowMs();
    if (precise) this.waker = takeWaker();
  }

  /** The thread, unless it cannot be used. */
  private get live(): Waker | undefined {
    return this.waker === undefined || this.waker.dead ? undefined : this.waker;
  }

  /** Calls `fire` once, at `dueMs` (performance.now()) or soon after; replaces any earlier arming. */
  at(dueMs: number): void {
    if (this.closed) return;
    this.stopSpin();
    clearTimeout(this.backstop);
    const waitMs = dueMs - performance.now();
    this.dueMs = dueMs;
    this.backstop = setTimeout(this.onBackstop, backstopDelayMs(waitMs));
    const waker = this.live;
    if (waker === undefined) return;
    if (!usesThread(waitMs)) return this.disarmThread();
    waker.due[0] = dueMs - WAKE_EARLY_MS - this.clockOffsetMs;
    this.armed = Atomics.add(waker.control, ARMED, 1) + 1;
    Atomics.notify(waker.control, ARMED);
    this.listen();
  }

  private stopSpin(): void {
    clearImmediate(this.spin);
    this.spin = undefined;
  }

  cancel(): void {
    this.stopSpin();
    clearTimeout(this.backstop);
    this.backstop = undefined;
    this.disarmThread();
  }

  /** The timer fires no more; its thread goes back to sleep, kept for the next timer on this loop. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Disarmed, the thread waits for its next arming, which may be another timer's.
    this.cancel();
    const waker = this.live;
    this.waker = undefined;
    if (waker === undefined) return;
    // Ends this timer's pending wait, so nothing is left waiting on the shared memory.
    Atomics.notify(waker.control, FIRED);
    idleWakers.push(waker);
  }

  private listen(): void {
    const waker = this.live;
    if (this.listening || waker === undefined) return;
    this.listening = true;
    const fired = Atomics.load(waker.control, FIRED);
    // The thread may have fired for this arming already, before the wait below could see it change.
    if (fired === this.armed) return queueMicrotask(this.onWake);
    const waited = waitAsync(waker.control, FIRED, fired);
    if (waited.async) void (waited.value as Promise<string>).then(this.onWake);
    else queueMicrotask(this.onWake);
  }

  private readonly onWake = (): void => {
    this.listening = false;
    const waker = this.live;
    if (this.closed || waker === undefined) return;
    const fired = Atomics.load(waker.control, FIRED);
    if (fired === this.armed) {
      // The thread waits to be armed again now: nothing to take back.
      waker.due[0] = NO_DUE;
      this.spinUntilDue();
    } else if (this.armed !== 0) {
      this.listen();
    }
  };

  /** Turns of the loop (each reads what has arrived) until the due time, then fire. */
  private readonly spinUntilDue = (): void => {
    this.spin = undefined;
    if (this.closed) return;
    if (performance.now() < this.dueMs) {
      this.spin = setImmediate(this.spinUntilDue);
      return;
    }
    clearTimeout(this.backstop);
    this.backstop = undefined;
    this.fire();
  };

  private readonly onBackstop = (): void => {
    this.backstop = undefined;
    if (this.closed) return;
    // Node counts a timeout from the loop's clock, read when the turn began: armed late in a busy
    // turn, it comes early. Firing then found nothing due, and the loop re-armed for the rest, under
    // a millisecond, on setTimeout alone: the thread's wake-up was lost and the user started about
    // a millisecond late. In some processes every user, at 40 users/s (bench/README.md, "Accuracy").
    const earlyMs = this.dueMs - performance.now();
    if (earlyMs > 0) {
      this.backstop = setTimeout(this.onBackstop, backstopDelayMs(earlyMs));
      return;
    }
    this.stopSpin();
    // The thread must not fire for this arming as well.
    this.disarmThread();
    this.fire();
  };

  private disarmThread(): void {
    const waker = this.live;
    // Nothing to take back: no wake-up of the thread (which would cost a thread switch).
    if (waker === undefined || waker.due[0] === NO_DUE) return;
    waker.due[0] = NO_DUE;
    this.armed = Atomics.add(waker.control, ARMED, 1) + 1;
    Atomics.notify(waker.control, ARMED);
  }
}
