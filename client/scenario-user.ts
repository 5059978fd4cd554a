// One user of the classic scenario on its own connection: GET /, POST the form, follow the 302.
// It holds a plain TCP connection whose reads land in the run's one shared buffer (net's `onread`),
// and it is the handler of its response parser, so a request costs one write, one parse and no
// stream, promise or header object (bench/README.md tells why undici was replaced here).
import { classifyError, ScenarioCheckError } from './error-class.js';
import type { ErrorClass } from './error-class.js';
import type { LoadTally } from './load-tally.js';
import { countEntries, findCsrfToken } from './page-scan.js';
import { postMarker, shownPostMarker } from './post-marker.js';
import { csrfCookieValue } from './raw-headers.js';
import { getRequest, postRequest } from './request-text.js';
import type { RequestTarget } from './request-text.js';
import { WantedHeader } from './response-head.js';
import { ResponseParser } from './response-parser.js';
import type { ResponseHandler } from './response-parser.js';
import type { StepName } from '../common/result.js';
import type { Connection, ConnectionOwner, SocketPool } from './socket-pool.js';
import { sameBytes } from './value-counter.js';

/** What every user of a run shares. */
export interface ScenarioContext {
  readonly connections: SocketPool;
  readonly target: RequestTarget;
  /** Location values that count as "back to the page". */
  readonly pageLocations: readonly Buffer[];
  /** The first GET, which carries no cookie yet. */
  readonly firstGet: Buffer;
  readonly timeoutMs: number;
  readonly runTag: string;
  readonly expectBackend: Buffer | undefined;
  readonly checkOwnPost: boolean;
  readonly tally: LoadTally;
  /** Every connection reads into this; a read is handled before the next one lands. */
  readonly readBuffer: Buffer;
  /** Called once per user, after it has counted itself ok or failed. */
  userFinished(user: ScenarioUser): void;
}

/** The page holds this many newest entries; a full page may have pushed an own post off. */
const PAGE_ENTRIES = 20;
/** A page above this size is kept only in part (and will then fail the content checks). */
const MAX_PAGE_BYTES = 4 * 1024 * 1024;
const NO_PAGE = Buffer.alloc(0);

const EXPECTED_STATUS: Readonly<Record<StepName, number>> = { get: 200, post: 302, redirect: 200 };

export class ScenarioUser implements ResponseHandler, ConnectionOwner {
  /** Position in the run's in-flight list. */
  slot = -1;
  /** performance.now() by which the current request must have completed. */
  deadlineMs = 0;

  private connection: Connection | undefined;
  /** The last response said the server closes the connection: the next request needs a new one. */
  private reconnect = false;
  private readonly parser = new ResponseParser(this);
  private finished = false;
  private step: StepName = 'get';
  private stepStartMs: number;
  /** When the current request was handed to the connection: service time runs from here. */
  private sentMs = 0;
  /**
   * When the connection last brought bytes (or its end): a response completes at the read that
   * brings its last byte, so this is its end time, taken before the parse and anything it allocates.
   */
  private readMs = 0;
  private cookie: string | undefined;
  private marker = '';
  private redirectGet: string | Buffer = NO_PAGE;

  // State of the request in flight.
  private written = false;
  private status = 0;
  private backendMatches = false;
  /** The answer carried X-Backend: the app gave it, not nginx. */
  private byApp = false;
  private locationMatches = false;
  /** Whether this step reads the page at all. */
  private keepPage = false;
  /** A body that arrived whole in one read, looked at where it lies in the read buffer. */
  private pageInPlace: Buffer | undefined;
  private readonly chunks: Buffer[] = [];
  private pageBytes = 0;

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
    this.send(this.context.firstGet, nowMs);
  }

  /** Fails the user now (deadline passed, run aborted) and drops its connection. */
  abort(reason: Error): void {
    if (this.finished) return;
    this.fail(reason, performance.now());
  }

  onResponseHeader(header: WantedHeader, buffer: Buffer, start: number, end: number): void {
    const { context } = this;
    switch (header) {
      case WantedHeader.XBackend:
        this.byApp = true;
        context.tally.backendSeen(buffer, start, end);
        this.backendMatches = context.expectBackend === undefined || sameBytes(context.expectBackend, buffer, start, end);
        break;
      case WantedHeader.XWorker:
        context.tally.workerSeen(buffer, start, end);
        break;
      case WantedHeader.SetCookie:
        // Only the first page's cookie is ever sent back.
        if (this.step === 'get') this.cookie = csrfCookieValue(buffer.subarray(start, end)) ?? this.cookie;
        break;
      case WantedHeader.Location:
        this.locationMatches = equalsAny(buffer, start, end, context.pageLocations);
        break;
    }
  }

  onResponseHead(status: number): void {
    const { context } = this;
    this.status = status;
    context.tally.responseStatus(status);
    if (this.step === 'post' && status === 302) context.tally.postAccepted(this.marker);
  }

  onResponseBody(buffer: Buffer, start: number, end: number, last: boolean): void {
    if (!this.keepPage) return;
    if (last && this.pageBytes === 0) {
      this.pageInPlace = buffer.subarray(start, end);
      return;
    }
    const length = end - start;
    if (this.pageBytes + length <= MAX_PAGE_BYTES) this.chunks.push(Buffer.from(buffer.subarray(start, end)));
    this.pageBytes += length;
  }

  onResponseComplete(keepAlive: boolean): void {
    if (this.finished) return;
    if (!keepAlive) this.reconnect = true;
    const nowMs = this.readMs;
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

  onResponseError(error: Error): void {
    if (this.finished) return;
    this.fail(error, performance.now());
  }

  onConnectionRead(bytes: number): void {
    this.readMs = performance.now();
    this.parser.feed(this.context.readBuffer, 0, bytes);
  }

  onConnectionError(error: Error): void {
    if (this.finished) return;
    this.fail(error, performance.now());
  }

  onConnectionEnd(): void {
    if (this.finished) return;
    this.readMs = performance.now();
    this.parser.end();
  }

  onConnectionConnected(): void {
    // On a new connection a request is on the wire only once it is connected.
    this.written = true;
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
    this.redirectGet = this.cookie === undefined ? context.firstGet : getRequest(context.target, this.cookie);
    this.step = 'post';
    this.send(postRequest(context.target, this.cookie, this.marker, token), nowMs);
  }

  private afterPost(nowMs: number): void {
    if (!this.locationMatches) return this.fail(new ScenarioCheckError('content', 'the 302 does not point back to the page'), nowMs);
    this.stepDone(nowMs);
    this.step = 'redirect';
    this.send(this.redirectGet, nowMs);
  }

  private afterRedirect(nowMs: number): void {
    const { context } = this;
    if (context.checkOwnPost) {
      const page = this.page();
      if (!page.includes(Buffer.from(shownPostMarker(context.runTag, this.index)))) {
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
    if (this.pageInPlace !== undefined) return this.pageInPlace;
    if (this.chunks.length === 0) return NO_PAGE;
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }

  private stepDone(nowMs: number): void {
    this.context.tally.stepDone(this.step, this.stepStartMs, this.sentMs, nowMs);
    this.stepStartMs = nowMs;
  }

  private send(request: string | Buffer, nowMs: number): void {
    this.written = false;
    this.status = 0;
    this.byApp = false;
    this.backendMatches = false;
    this.locationMatches = false;
    this.keepPage = this.step === 'get' || (this.step === 'redirect' && this.context.checkOwnPost);
    this.pageInPlace = undefined;
    this.chunks.length = 0;
    this.pageBytes = 0;
    this.deadlineMs = nowMs + this.context.timeoutMs;
    this.parser.reset();
    // Taken here, after the request was built: the client's own work (and any GC it sets off) is
    // not the server's time.
    this.sentMs = performance.now();
    let connection = this.connection;
    if (connection === undefined || this.reconnect) {
      connection?.drop();
      connection = this.connection = this.context.connections.connect(this);
      this.reconnect = false;
    } else {
      this.written = true;
    }
    connection.write(request);
  }

  private succeed(nowMs: number): void {
    const { context } = this;
    this.finished = true;
    this.releasePage();
    context.tally.userOk(nowMs, this.scheduledMs);
    this.connection?.drop();
    context.userFinished(this);
  }

  private fail(problem: unknown, nowMs: number): void {
    const { context } = this;
    const errorClass: ErrorClass = classifyError(problem);
    this.finished = true;
    this.releasePage();
    const answered = this.status !== 0;
    if (!answered) {
      context.tally.requestUnanswered(errorClass);
      // The POST reached the wire and nothing came back: the row may or may not exist.
      if (this.step === 'post' && this.written) context.tally.postsIndeterminate++;
    }
    context.tally.userFailed(nowMs, errorClass, this.byApp);
    this.connection?.drop();
    context.userFinished(this);
  }

  private releasePage(): void {
    this.pageInPlace = undefined;
    this.chunks.length = 0;
  }
}

function equalsAny(buffer: Buffer, start: number, end: number, candidates: readonly Buffer[]): boolean {
  for (const candidate of candidates) if (sameBytes(candidate, buffer, start, end)) return true;
  return false;
}
