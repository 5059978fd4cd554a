// An incremental HTTP/1.1 response parser for exactly what the scenario reads: the status, a few
// named headers, and where the body ends (Content-Length, chunked, or the connection's close).
// It reads straight from the socket's shared read buffer and hands out byte ranges, never strings.
import { BodyFraming, readResponseHead } from './response-head.js';
import type { HeadFacts, HeaderSink } from './response-head.js';

/** Wanted headers of the response being read arrive (as HeaderSink) before onResponseHead. */
export interface ResponseHandler extends HeaderSink {
  /** The head of a final (non-1xx) response is complete. */
  onResponseHead(status: number): void;
  /**
   * A piece of the body, valid only during the call. `last` when it ends a Content-Length body:
   * then the response completes before the read buffer is reused.
   */
  onResponseBody(buffer: Buffer, start: number, end: number, last: boolean): void;
  /** The response is complete; `keepAlive` false when the server closes the connection after it. */
  onResponseComplete(keepAlive: boolean): void;
  onResponseError(error: Error): void;
}

/** A response that is not HTTP/1.x as the parser reads it (classified as `other`). */
export class ResponseParseError extends Error {
  readonly code = 'BL_RESPONSE_PARSE';
  constructor(message: string) {
    super(message);
    this.name = 'ResponseParseError';
  }
}

/** The connection closed before the response was complete: counted like a reset. */
export class ConnectionClosedError extends Error {
  readonly code = 'ECONNRESET';
  constructor() {
    super('the server closed the connection before the response was complete');
    this.name = 'ConnectionClosedError';
  }
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkExtension,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  TrailerLineStart,
  TrailerLine,
  TrailerEndLf,
  UntilClose,
  Done,
}

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const SEMICOLON = 0x3b;
const HEAD_END = Buffer.from('\r\n\r\n');
/** A head larger than this is not a guestbook answer. */
const MAX_HEAD_BYTES = 64 * 1024;
/** 2^40 bytes: a chunk size beyond this is garbage, and stays exact as a double. */
const MAX_CHUNK_SIZE_DIGITS = 10;

// Shared: every failure of one kind is the same, and a stack trace per failure would cost more than it tells.
const MALFORMED = new ResponseParseError('malformed HTTP response');
const HEAD_TOO_LARGE = new ResponseParseError(`response head over ${MAX_HEAD_BYTES} bytes`);
const EXTRA_BYTES = new ResponseParseError('bytes after the end of the response');
const CLOSED_EARLY = new ConnectionClosedError();

export class ResponseParser {
  private state = State.Head;
  /** An incomplete head carried over from earlier reads. */
  private headPart: Buffer | undefined;
  private remaining = 0;
  private chunkDigits = 0;
  private keepAlive = true;
  private readonly facts: HeadFacts = { framing: BodyFraming.None, contentLength: -1, keepAlive: true };

  constructor(private readonly handler: ResponseHandler) {}

  /** Ready for the next response on the same connection. */
  reset(): void {
    this.state = State.Head;
    this.headPart = undefined;
  }

  /** Bytes read from the socket. Stops at the first error or at the end of the response. */
  feed(buffer: Buffer, start: number, end: number): void {
    let at = start;
    while (at < end) {
      switch (this.state) {
        case State.Head:
          at = this.readHead(buffer, at, end);
          if (at < 0) return;
          break;
        case State.Length: {
          const take = Math.min(this.remaining, end - at);
          this.remaining -= take;
          this.handler.onResponseBody(buffer, at, at + take, this.remaining === 0);
          at += take;
          if (this.remaining === 0) return this.complete(at, end);
          break;
        }
        case State.UntilClose:
          this.handler.onResponseBody(buffer, at, end, false);
          return;
        case State.ChunkData: {
          const take = Math.min(this.remaining, end - at);
          this.remaining -= take;
          this.handler.onResponseBody(buffer, at, at + take, false);
          at += take;
          if (this.remaining === 0) this.state = State.ChunkDataCr;
          break;
        }
        case State.Done:
          return this.handler.onResponseError(EXTRA_BYTES);
        default:
          if (!this.chunkFraming(buffer[at]!)) return this.handler.onResponseError(MALFORMED);
          at++;
          // The handler may not run in between: chunkFraming only moves the state.
          if ((this.state as State) === State.Done) return this.complete(at, end);
      }
    }
  }

  /** The server closed its side: the end of a close-delimited body, otherwise a response cut short. */
  end(): void {
    if (this.state === State.UntilClose) {
      this.state = State.Done;
      this.handler.onResponseComplete(false);
    } else if (this.state !== State.Done) {
      this.handler.onResponseError(CLOSED_EARLY);
    }
  }

  private complete(at: number, end: number): void {
    this.state = State.Done;
    if (at < end) return this.handler.onResponseError(EXTRA_BYTES);
    this.handler.onResponseComplete(this.keepAlive);
  }

  /** Returns where the body starts, or -1 when the head is incomplete or bad (then the handler knows). */
  private readHead(buffer: Buffer, start: number, end: number): number {
    let head = buffer;
    let headStart = start;
    let headEnd: number;
    let carried = 0;
    if (this.headPart === undefined) {
      headEnd = buffer.indexOf(HEAD_END, start);
      // The read buffer holds stale bytes past `end`: a match must lie wholly before it.
      if (headEnd < 0 || headEnd + HEAD_END.length > end) return this.carryHead(Buffer.from(buffer.subarray(start, end)));
    } else {
      carried = this.headPart.length;
      head = Buffer.concat([this.headPart, buffer.subarray(start, end)]);
      headStart = 0;
      headEnd = head.indexOf(HEAD_END, Math.max(0, carried - 3));
      if (headEnd < 0) return this.carryHead(head);
      this.headPart = undefined;
    }
    if (headEnd - headStart > MAX_HEAD_BYTES) {
      this.handler.onResponseError(HEAD_TOO_LARGE);
      return -1;
    }
    const status = readResponseHead(head, headStart, headEnd, this.facts, this.handler);
    if (status < 0) {
      this.handler.onResponseError(MALFORMED);
      return -1;
    }
    const bodyStart = start + (headEnd + HEAD_END.length - headStart) - carried;
    // An interim answer (100 Continue, 103 Early Hints) is followed by the real one.
    if (status < 200) return bodyStart;
    this.frameBody();
    this.handler.onResponseHead(status);
    if (this.state === State.Done) {
      this.complete(bodyStart, end);
      return -1;
    }
    return bodyStart;
  }

  private frameBody(): void {
    const { facts } = this;
    this.keepAlive = facts.keepAlive;
    switch (facts.framing) {
      case BodyFraming.None:
        this.state = State.Done;
        break;
      case BodyFraming.Length:
        this.state = State.Length;
        this.remaining = facts.contentLength;
        break;
      case BodyFraming.Chunked:
        this.nextChunk();
        break;
      case BodyFraming.UntilClose:
        this.state = State.UntilClose;
        this.keepAlive = false;
        break;
    }
  }

  /** Keeps an incomplete head (a copy: the read buffer is reused) until the rest arrives. */
  private carryHead(part: Buffer): number {
    this.headPart = part;
    if (part.length > MAX_HEAD_BYTES) this.handler.onResponseError(HEAD_TOO_LARGE);
    return -1;
  }

  /** One byte of chunk framing (sizes, extensions, CRLFs, trailers); false on a framing error. */
  private chunkFraming(byte: number): boolean {
    switch (this.state) {
      case State.ChunkSize: {
        const value = hexDigit(byte);
        if (value >= 0) {
          if (++this.chunkDigits > MAX_CHUNK_SIZE_DIGITS) return false;
          this.remaining = this.remaining * 16 + value;
          return true;
        }
        if (this.chunkDigits === 0) return false;
        if (byte === SEMICOLON || byte === SPACE || byte === TAB) this.state = State.ChunkExtension;
        else if (byte === CR) this.state = State.ChunkSizeLf;
        else if (byte === LF) this.chunkSizeDone();
        else return false;
        return true;
      }
      case State.ChunkExtension:
        if (byte === LF) this.chunkSizeDone();
        return true;
      case State.ChunkSizeLf:
        if (byte !== LF) return false;
        this.chunkSizeDone();
        return true;
      case State.ChunkDataCr:
        if (byte === CR) this.state = State.ChunkDataLf;
        else if (byte === LF) this.nextChunk();
        else return false;
        return true;
      case State.ChunkDataLf:
        if (byte !== LF) return false;
        this.nextChunk();
        return true;
      case State.TrailerLineStart:
        if (byte === CR) this.state = State.TrailerEndLf;
        else if (byte === LF) this.state = State.Done;
        else this.state = State.TrailerLine;
        return true;
      case State.TrailerLine:
        if (byte === LF) this.state = State.TrailerLineStart;
        return true;
      case State.TrailerEndLf:
        if (byte !== LF) return false;
        this.state = State.Done;
        return true;
      default:
        return false;
    }
  }

  private chunkSizeDone(): void {
    this.state = this.remaining === 0 ? State.TrailerLineStart : State.ChunkData;
  }

  private nextChunk(): void {
    this.state = State.ChunkSize;
    this.remaining = 0;
    this.chunkDigits = 0;
  }
}

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
