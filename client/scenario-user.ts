// One user of the classic scenario on its own connection: GET /, POST the form, follow the 302 (DESIGN §5).
// It is its own undici dispatch handler, stepping on from each response's callbacks: no promise,
// stream or parsed header object per request. It uses undici's older handler methods (onHeaders…):
// the newer ones parse every response's headers into an object first.
import type { Client, Dispatcher } from 'undici';
import { classifyError, ScenarioCheckError } from './error-class.js';
import type { ErrorClass } from './error-class.js';
import { escapeHtml } from './html-escape.js';
import type { LoadTally } from './load-tally.js';
import { countEntries, findCsrfToken } from './page-scan.js';
import { postMarker } from './post-marker.js';
import { csrfCookieValue, headerNameIs } from './raw-headers.js';
import type { StepName } from './result.js';

/** What every user of a run shares. */
export interface ScenarioContext {
  /** The path of the guestbook page on the target. */
  readonly path: string;
  /** Location values that count as "back to the page". */
  readonly pageLocations: readonly Buffer[];
  readonly firstGet: Dispatcher.DispatchOptions;
  readonly timeoutMs: number;
  readonly runTag: string;
  readonly expectBackend: Buffer | undefined;
  readonly checkOwnPost: boolean;
  readonly tally: LoadTally;
  newClient(): Client;
  /** Called once per user, after it has counted itself ok or failed. */
  userFinished(user: ScenarioUser): void;
  /** Callback for Client.destroy: the run waits for every connection to close. */
  readonly clientClosed: () => void;
}

/** The page holds this many newest entries; a full page may have pushed an own post off. */
const PAGE_ENTRIES = 20;
/** A page above this size is kept only in part (and will then fail the content checks). */
const MAX_PAGE_BYTES = 4 * 1024 * 1024;
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

const SET_COOKIE = Buffer.from('set-cookie');
const LOCATION = Buffer.from('location');
const X_BACKEND = Buffer.from('x-backend');
const X_WORKER = Buffer.from('x-worker');

// One reason for every connection a user closes: undici would otherwise build an error with a stack
// trace per closed connection, a measurable part of the client's CPU.
const USER_FINISHED = new Error('user finished');

const EXPECTED_STATUS: Readonly<Record<StepName, number>> = { get: 200, post: 302, redirect: 200 };

export class ScenarioUser implements Dispatcher.DispatchHandler {
  /** Position in the run's in-flight list. */
  slot = -1;
  /** performance.now() by which the current request must have completed. */
  deadlineMs = 0;

  private client: Client | undefined;
  private finished = false;
  private step: StepName = 'get';
  private stepStartMs: number;
  private cookie: string | undefined;
  private marker = '';
  private redirectGet: Dispatcher.DispatchOptions | undefined;

  // State of the request in flight.
  private written = false;
  private status = 0;
  private backendMatches = false;
  private locationMatches = false;
  private readonly chunks: Buffer[] = [];
  private bodyBytes = 0;

  constructor(
    readonly index: number,
    /** performance.now() of the scheduled start: user and step times count from here. */
    readonly scheduledMs: number,
    private readonly context: ScenarioContext,
  ) {
    this.stepStartMs = scheduledMs;
  }

  start(nowMs: number): void {
    this.context.tally.userStarted(nowMs, this.scheduledMs);
    this.client = this.context.newClient();
    this.send(this.context.firstGet, nowMs);
  }

  /** Fails the user now (deadline passed, run aborted) and drops its connection. */
  abort(reason: Error): void {
    if (this.finished) return;
    this.fail(reason, performance.now());
  }

  onConnect(): void {
    this.written = true;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200 || this.finished) return true;
    const { context } = this;
    this.status = statusCode;
    context.tally.responseStatus(statusCode);
    let backend: string | undefined;
    let worker: string | undefined;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      const value = rawHeaders[i + 1];
      if (headerNameIs(name, X_BACKEND)) {
        backend = value.toString('latin1');
        this.backendMatches = context.expectBackend === undefined || value.equals(context.expectBackend);
      } else if (headerNameIs(name, X_WORKER)) {
        worker = value.toString('latin1');
      } else if (headerNameIs(name, SET_COOKIE)) {
        this.cookie = csrfCookieValue(value) ?? this.cookie;
      } else if (headerNameIs(name, LOCATION)) {
        this.locationMatches = equalsAny(value, context.pageLocations);
      }
    }
    context.tally.responseFrom(backend, worker);
    if (this.step === 'post' && statusCode === 302) context.tally.postAccepted(this.marker);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.step !== 'post' && this.bodyBytes + chunk.length <= MAX_PAGE_BYTES) this.chunks.push(chunk);
    this.bodyBytes += chunk.length;
    return true;
  }

  onComplete(): void {
    if (this.finished) return;
    const nowMs = performance.now();
    const problem = this.statusOrBackendProblem();
    if (problem !== undefined) return this.fail(problem, nowMs);
    switch (this.step) {
      case 'get':
        return this.afterGet(nowMs);
      case 'post':
        return this.afterPost(nowMs);
      case 'redirect':
        return this.afterRedirect(nowMs);
    }
  }

  onError(error: Error): void {
    if (this.finished) return;
    this.fail(error, performance.now());
  }

  private statusOrBackendProblem(): object | undefined {
    if (this.status !== EXPECTED_STATUS[this.step]) return { status: this.status };
    if (this.context.expectBackend !== undefined && !this.backendMatches) {
      return new ScenarioCheckError('wrong-backend', 'X-Backend differs from the expected backend');
    }
    return undefined;
  }

  private afterGet(nowMs: number): void {
    const { context } = this;
    const token = findCsrfToken(this.page());
    if (token === undefined) return this.fail(new ScenarioCheckError('content', 'the page has no csrf token'), nowMs);
    this.stepDone(nowMs);
    this.marker = postMarker(context.runTag, this.index);
    const cookie = this.cookie === undefined ? [] : ['cookie', `csrftoken=${this.cookie}`];
    this.redirectGet = cookie.length === 0 ? context.firstGet : { path: context.path, method: 'GET', headers: cookie };
    this.step = 'post';
    this.send(
      {
        path: context.path,
        method: 'POST',
        headers: ['content-type', FORM_CONTENT_TYPE, ...cookie],
        body: `body=${encodeURIComponent(this.marker)}&csrf=${encodeURIComponent(token)}`,
      },
      nowMs,
    );
  }

  private afterPost(nowMs: number): void {
    if (!this.locationMatches) return this.fail(new ScenarioCheckError('content', 'the 302 does not point back to the page'), nowMs);
    this.stepDone(nowMs);
    this.step = 'redirect';
    this.send(this.redirectGet!, nowMs);
  }

  private afterRedirect(nowMs: number): void {
    const { context } = this;
    if (context.checkOwnPost) {
      const page = this.page();
      if (!page.includes(Buffer.from(escapeHtml(this.marker)))) {
        if (countEntries(page, PAGE_ENTRIES) < PAGE_ENTRIES) {
          return this.fail(new ScenarioCheckError('content', 'the page shows neither the own post nor a full list'), nowMs);
        }
        context.tally.postsPushedOut++;
      }
    }
    this.stepDone(nowMs);
    this.succeed(nowMs);
  }

  private page(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }

  private stepDone(nowMs: number): void {
    this.context.tally.stepDone(this.step, this.stepStartMs, nowMs);
    this.stepStartMs = nowMs;
  }

  private send(request: Dispatcher.DispatchOptions, nowMs: number): void {
    this.written = false;
    this.status = 0;
    this.backendMatches = false;
    this.locationMatches = false;
    this.chunks.length = 0;
    this.bodyBytes = 0;
    this.deadlineMs = nowMs + this.context.timeoutMs;
    this.client!.dispatch(request, this);
  }

  private succeed(nowMs: number): void {
    const { context } = this;
    this.finished = true;
    this.chunks.length = 0;
    context.tally.userOk(nowMs, this.scheduledMs);
    this.client!.destroy(USER_FINISHED, context.clientClosed);
    context.userFinished(this);
  }

  private fail(problem: unknown, nowMs: number): void {
    const { context } = this;
    const errorClass: ErrorClass = classifyError(problem);
    this.finished = true;
    this.chunks.length = 0;
    const answered = this.status !== 0;
    if (!answered) {
      context.tally.requestUnanswered(errorClass);
      // The POST reached the wire and nothing came back: the row may or may not exist.
      if (this.step === 'post' && this.written) context.tally.postsIndeterminate++;
    }
    context.tally.userFailed(nowMs, errorClass);
    this.client?.destroy(USER_FINISHED, context.clientClosed);
    context.userFinished(this);
  }
}

function equalsAny(value: Buffer, candidates: readonly Buffer[]): boolean {
  for (const candidate of candidates) if (value.equals(candidate)) return true;
  return false;
}
