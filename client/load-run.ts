// One open-model run: a single timer loop starts users as they come due, a housekeeping tick
// enforces request deadlines and reports progress, and the run ends when every user has finished.
import { RequestDeadlineError, RunAbortedError } from './error-class.js';
import type { LoadOptions } from './load-options.js';
import { loadResult } from './load-result.js';
import { LaunchTimer } from './launch-timer.js';
import { LoadTally } from './load-tally.js';
import type { LoadProgress } from './progress.js';
import { getRequest } from './request-text.js';
import type { LoadResult } from '../common/result.js';
import { ScenarioUser } from './scenario-user.js';
import type { ScenarioContext } from './scenario-user.js';
import { SocketPool } from './socket-pool.js';

export interface LoadHooks {
  onProgress?(progress: LoadProgress): void;
  signal?: AbortSignal;
  /** Once it fires no more users start; those in flight finish, and the result counts the users started as scheduled. */
  finish?: AbortSignal;
}

const US_PER_MS = 1_000;
const MS_PER_SECOND = 1_000;
/** Users started in one turn of the event loop before responses get a turn, when many are due at once. */
const MAX_LAUNCHES_PER_TURN = 64;
const PROGRESS_INTERVAL_MS = 1_000;
/** Bounds of the housekeeping period; within them it is a tenth of the request timeout. */
const MIN_HOUSEKEEPING_MS = 5;
const MAX_HOUSEKEEPING_MS = 100;
/** The shared read buffer: a whole guestbook page usually arrives in one read. */
const READ_BUFFER_BYTES = 64 * 1024;
const HTTP_PORT = 80;

export class LoadRun {
  private readonly tally: LoadTally;
  private readonly context: ScenarioContext;
  private readonly inFlight: ScenarioUser[] = [];
  private readonly startMs = performance.now();
  private readonly startedAt = new Date();
  private next = 0;
  /** performance.now() when the cap last blocked a due arrival. */
  private blockedAtMs = Number.NEGATIVE_INFINITY;
  /** Aborted: no more users start and those in flight are failed. */
  private stopped = false;
  /** No more users start: aborted, or finished early through hooks.finish. */
  private launchesOver = false;
  private finishedEarly = false;
  private ended = false;
  private lastProgressMs = this.startMs;
  /** Wakes the timer loop when the next user is due; open model only. */
  private readonly launchTimer: LaunchTimer | undefined;
  private launchImmediate: NodeJS.Immediate | undefined;
  /** performance.now() when the next scheduled user is due; never while the cap holds it back, closed, or done. */
  private nextDueMs = Number.POSITIVE_INFINITY;
  private readonly housekeeping: NodeJS.Timeout;
  private readonly done: Promise<LoadResult>;
  private resolveDone!: (result: LoadResult) => void;

  constructor(
    private readonly options: LoadOptions,
    /** Start offsets in microseconds from the start of the run. */
    private readonly schedule: Float64Array,
    private readonly hooks: LoadHooks,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.tally = new LoadTally(this.startMs + (schedule[0] ?? 0) / US_PER_MS);
    this.context = this.scenarioContext();
    const periodMs = Math.min(MAX_HOUSEKEEPING_MS, Math.max(MIN_HOUSEKEEPING_MS, options.timeoutMs / 10));
    this.housekeeping = setInterval(this.keepHouse, periodMs);
    if (!options.closed && schedule.length > 0) this.launchTimer = new LaunchTimer(this.launchDue);
    hooks.signal?.addEventListener('abort', this.abort, { once: true });
    hooks.finish?.addEventListener('abort', this.finish, { once: true });
  }

  run(): Promise<LoadResult> {
    if (this.hooks.signal?.aborted) this.abort();
    else if (this.hooks.finish?.aborted) this.finish();
    else this.launchDue();
    this.endIfFinished();
    return this.done;
  }

  private scenarioContext(): ScenarioContext {
    const { options } = this;
    const url = new URL(options.target);
    const target = { path: url.pathname, host: url.host };
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return {
      connections: new SocketPool(host, url.port === '' ? HTTP_PORT : Number(url.port), readBuffer, this.launchIfDue),
      target,
      pageLocations: [Buffer.from(url.pathname), Buffer.from(url.origin + url.pathname)],
      firstGet: Buffer.from(getRequest(target, undefined), 'latin1'),
      timeoutMs: options.timeoutMs,
      runTag: options.runTag ?? '',
      expectBackend: options.expectBackend === undefined ? undefined : Buffer.from(options.expectBackend, 'latin1'),
      checkOwnPost: options.checkOwnPost ?? true,
      tally: this.tally,
      readBuffer,
      userFinished: (user) => {
        const last = this.inFlight.pop()!;
        if (last !== user) {
          this.inFlight[user.slot] = last;
          last.slot = user.slot;
        }
        // A freed slot lets a waiting arrival (or, closed, the next user) start now.
        if (this.slotsLimited && !this.launchesOver && this.launchImmediate === undefined) this.launchImmediate = setImmediate(this.launchDue);
        this.endIfFinished();
      },
    };
  }

  /** Open model: the schedule's users; closed: the users started so far. */
  private get scheduled(): number {
    return this.options.closed || this.finishedEarly ? this.next : this.schedule.length;
  }

  private get slotsLimited(): boolean {
    return this.options.maxActive !== undefined || this.options.closed !== undefined;
  }

  /** Closed model: keep `connections` users in flight until the duration is over; each is timed from its own start. */
  private launchClosed(): void {
    const closed = this.options.closed!;
    let nowMs = performance.now();
    let launched = 0;
    while (!this.launchesOver && this.inFlight.length < closed.connections && nowMs - this.startMs < closed.durationSeconds * MS_PER_SECOND) {
      if (launched === MAX_LAUNCHES_PER_TURN) {
        this.launchImmediate = setImmediate(this.launchDue);
        return;
      }
      this.launch(this.next++, nowMs, nowMs);
      launched++;
      nowMs = performance.now();
    }
  }

  private launch(index: number, scheduledMs: number, nowMs: number): void {
    const user = new ScenarioUser(index, scheduledMs, this.context);
    user.slot = this.inFlight.length;
    this.inFlight.push(user);
    if (this.inFlight.length > this.tally.peakInFlight) this.tally.peakInFlight = this.inFlight.length;
    user.start(nowMs);
  }

  /**
   * After each read or connect: a user that has come due starts now rather than at the timer. Waits
   * under 2 ms are left to setTimeout, which counts whole milliseconds of a loop clock read once per
   * turn (client/launch-timer.ts), so at 1000 users/s most users started 0.5-0.7 ms late at p50;
   * the answers of the users in flight wake the loop several times a millisecond there.
   */
  private readonly launchIfDue = (): void => {
    if (this.launchImmediate === undefined && performance.now() >= this.nextDueMs) this.launchDue();
  };

  /** The timer loop: starts every user whose time has come, then sleeps until the next one is due. */
  private readonly launchDue = (): void => {
    this.launchImmediate = undefined;
    this.nextDueMs = Number.POSITIVE_INFINITY;
    if (this.options.closed) return this.launchClosed();
    const { schedule, startMs } = this;
    const maxActive = this.options.maxActive ?? Number.POSITIVE_INFINITY;
    let launched = 0;
    let nowMs = performance.now();
    while (!this.launchesOver && this.next < schedule.length && startMs + schedule[this.next] / US_PER_MS <= nowMs) {
      if (launched === MAX_LAUNCHES_PER_TURN) {
        this.launchImmediate = setImmediate(this.launchDue);
        return;
      }
      const index = this.next;
      if (this.inFlight.length >= maxActive) {
        if (this.options.onSaturation === 'drop') {
          this.next++;
          // A user turned away is a user the server side did not serve: it fails, in a class of its own.
          this.tally.userDropped(nowMs);
          continue;
        }
        // Wait: the user keeps its scheduled start, so the wait counts in its times; a finishing user relaunches us.
        this.blockedAtMs = nowMs;
        return;
      }
      this.next++;
      const scheduledMs = startMs + schedule[index] / US_PER_MS;
      // Due while the cap held it back: it waited for a slot.
      if (scheduledMs <= this.blockedAtMs) this.tally.waited++;
      this.launch(index, scheduledMs, nowMs);
      launched++;
      nowMs = performance.now();
    }
    if (this.launchesOver || this.next === schedule.length) return this.launchTimer?.close();
    // Never early: the loop runs again when the next user is due, and starts it then.
    this.nextDueMs = startMs + schedule[this.next] / US_PER_MS;
    this.launchTimer!.at(this.nextDueMs);
  };

  private readonly keepHouse = (): void => {
    const nowMs = performance.now();
    let deadlineError: RequestDeadlineError | undefined;
    // Backwards, because a failing user is swapped out of its slot by the last one.
    for (let i = this.inFlight.length - 1; i >= 0; i--) {
      const user = this.inFlight[i];
      if (user !== undefined && user.deadlineMs <= nowMs) {
        deadlineError ??= new RequestDeadlineError(this.options.timeoutMs);
        user.abort(deadlineError);
      }
    }
    if (nowMs - this.lastProgressMs >= PROGRESS_INTERVAL_MS) {
      this.lastProgressMs = nowMs;
      this.reportProgress(nowMs);
    }
  };

  private endLaunches(): void {
    this.launchesOver = true;
    this.nextDueMs = Number.POSITIVE_INFINITY;
    this.launchTimer?.close();
    clearImmediate(this.launchImmediate);
  }

  private readonly finish = (): void => {
    if (this.launchesOver) return;
    this.finishedEarly = true;
    this.endLaunches();
    this.endIfFinished();
  };

  private readonly abort = (): void => {
    if (this.stopped) return;
    this.stopped = true;
    this.endLaunches();
    const aborted = new RunAbortedError();
    for (const user of [...this.inFlight]) user.abort(aborted);
    this.endIfFinished();
  };

  private reportProgress(nowMs: number): void {
    this.hooks.onProgress?.({
      elapsedSeconds: (nowMs - this.startMs) / MS_PER_SECOND,
      scheduled: this.scheduled,
      started: this.tally.started,
      ok: this.tally.ok,
      failed: this.tally.failed,
      inFlight: this.inFlight.length,
      workers: Object.fromEntries(this.tally.workers),
    });
  }

  private endIfFinished(): void {
    if (this.ended || this.inFlight.length > 0 || (!this.launchesOver && this.next < this.schedule.length)) return;
    if (this.options.closed && !this.launchesOver && performance.now() - this.startMs < this.options.closed.durationSeconds * MS_PER_SECOND) return;
    this.ended = true;
    const endMs = performance.now();
    clearInterval(this.housekeeping);
    this.launchTimer?.close();
    clearImmediate(this.launchImmediate);
    this.hooks.signal?.removeEventListener('abort', this.abort);
    this.hooks.finish?.removeEventListener('abort', this.finish);
    this.reportProgress(endMs);
    const result = loadResult(this.options, this.tally, {
      startedAt: this.startedAt,
      durationSeconds: Math.round(endMs - this.startMs) / MS_PER_SECOND,
      scheduled: this.scheduled,
    });
    // Every connection is closed already: destroy() closes the descriptor at once.
    this.resolveDone(result);
  }
}
