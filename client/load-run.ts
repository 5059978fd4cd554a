// One open-model run: a single timer loop starts users as they come due, a housekeeping tick
// enforces request deadlines and reports progress, and the run ends when every user has finished.
import { buildConnector, Client } from 'undici';
import { RequestDeadlineError, RunAbortedError } from './error-class.js';
import type { LoadOptions } from './load-options.js';
import { loadResult } from './load-result.js';
import { LoadTally } from './load-tally.js';
import type { LoadProgress } from './progress.js';
import type { LoadResult } from './result.js';
import { ScenarioUser } from './scenario-user.js';
import type { ScenarioContext } from './scenario-user.js';

export interface LoadHooks {
  onProgress?(progress: LoadProgress): void;
  signal?: AbortSignal;
}

const US_PER_MS = 1_000;
const MS_PER_SECOND = 1_000;
/** Users started in one turn of the event loop before responses get a turn, when many are due at once. */
const MAX_LAUNCHES_PER_TURN = 64;
const PROGRESS_INTERVAL_MS = 1_000;
/** Bounds of the housekeeping period; within them it is a tenth of the request timeout. */
const MIN_HOUSEKEEPING_MS = 5;
const MAX_HOUSEKEEPING_MS = 100;
/** How long the end of a run waits for connections to finish closing. */
const MAX_CLOSE_WAIT_MS = 2_000;

export class LoadRun {
  private readonly tally: LoadTally;
  private readonly context: ScenarioContext;
  private readonly inFlight: ScenarioUser[] = [];
  private readonly startMs = performance.now();
  private readonly startedAt = new Date();
  private next = 0;
  private stopped = false;
  private ended = false;
  private lastProgressMs = this.startMs;
  private openClients = 0;
  private onClientsClosed: (() => void) | undefined;
  private launchTimeout: NodeJS.Timeout | undefined;
  private launchImmediate: NodeJS.Immediate | undefined;
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
    this.tally = new LoadTally(this.startMs + schedule[0] / US_PER_MS);
    this.context = this.scenarioContext();
    const periodMs = Math.min(MAX_HOUSEKEEPING_MS, Math.max(MIN_HOUSEKEEPING_MS, options.timeoutMs / 10));
    this.housekeeping = setInterval(this.keepHouse, periodMs);
    hooks.signal?.addEventListener('abort', this.abort, { once: true });
  }

  run(): Promise<LoadResult> {
    if (this.hooks.signal?.aborted) this.abort();
    else this.launchDue();
    this.endIfFinished();
    return this.done;
  }

  private scenarioContext(): ScenarioContext {
    const { options } = this;
    const url = new URL(options.target);
    // Built once and shared: each Client would otherwise parse the origin and build its own connector.
    const origin = new URL(url.origin);
    const clientOptions: Client.Options = {
      pipelining: 1,
      connect: buildConnector({ timeout: options.timeoutMs }),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    };
    return {
      path: url.pathname,
      pageLocations: [Buffer.from(url.pathname), Buffer.from(url.origin + url.pathname)],
      firstGet: { path: url.pathname, method: 'GET' },
      timeoutMs: options.timeoutMs,
      runTag: options.runTag ?? '',
      expectBackend: options.expectBackend === undefined ? undefined : Buffer.from(options.expectBackend, 'latin1'),
      checkOwnPost: options.checkOwnPost ?? true,
      tally: this.tally,
      newClient: () => {
        this.openClients++;
        return new Client(origin, clientOptions);
      },
      userFinished: (user) => {
        const last = this.inFlight.pop()!;
        if (last !== user) {
          this.inFlight[user.slot] = last;
          last.slot = user.slot;
        }
        this.endIfFinished();
      },
      clientClosed: () => {
        this.openClients--;
        if (this.openClients === 0) this.onClientsClosed?.();
      },
    };
  }

  /** The timer loop: starts every user whose time has come, then sleeps until the next one is due. */
  private readonly launchDue = (): void => {
    this.launchTimeout = undefined;
    this.launchImmediate = undefined;
    const { schedule, startMs } = this;
    let launched = 0;
    let nowMs = performance.now();
    while (!this.stopped && this.next < schedule.length && startMs + schedule[this.next] / US_PER_MS <= nowMs) {
      if (launched === MAX_LAUNCHES_PER_TURN) {
        this.launchImmediate = setImmediate(this.launchDue);
        return;
      }
      const index = this.next++;
      const user = new ScenarioUser(index, startMs + schedule[index] / US_PER_MS, this.context);
      user.slot = this.inFlight.length;
      this.inFlight.push(user);
      user.start(nowMs);
      launched++;
      nowMs = performance.now();
    }
    if (this.stopped || this.next === schedule.length) return;
    const waitMs = startMs + schedule[this.next] / US_PER_MS - nowMs;
    // Rounded up: a user may start up to a millisecond late (and that is recorded), but never early,
    // and the loop never spins on setImmediate, which would eat the core the responses need.
    this.launchTimeout = setTimeout(this.launchDue, Math.max(1, Math.ceil(waitMs)));
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

  private readonly abort = (): void => {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.launchTimeout);
    clearImmediate(this.launchImmediate);
    const aborted = new RunAbortedError();
    for (const user of [...this.inFlight]) user.abort(aborted);
    this.endIfFinished();
  };

  private reportProgress(nowMs: number): void {
    this.hooks.onProgress?.({
      elapsedSeconds: (nowMs - this.startMs) / MS_PER_SECOND,
      scheduled: this.schedule.length,
      started: this.tally.started,
      ok: this.tally.ok,
      failed: this.tally.failed,
      inFlight: this.inFlight.length,
    });
  }

  private endIfFinished(): void {
    if (this.ended || this.inFlight.length > 0 || (!this.stopped && this.next < this.schedule.length)) return;
    this.ended = true;
    const endMs = performance.now();
    clearInterval(this.housekeeping);
    clearTimeout(this.launchTimeout);
    clearImmediate(this.launchImmediate);
    this.hooks.signal?.removeEventListener('abort', this.abort);
    this.reportProgress(endMs);
    const result = loadResult(this.options, this.tally, {
      startedAt: this.startedAt,
      durationSeconds: Math.round(endMs - this.startMs) / MS_PER_SECOND,
      scheduled: this.schedule.length,
    });
    void this.clientsClosed().then(() => this.resolveDone(result));
  }

  /** Resolves once every user's connection has closed, or after MAX_CLOSE_WAIT_MS. */
  private clientsClosed(): Promise<void> {
    if (this.openClients === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const giveUp = setTimeout(resolve, MAX_CLOSE_WAIT_MS);
      this.onClientsClosed = () => {
        clearTimeout(giveUp);
        resolve();
      };
    });
  }
}
