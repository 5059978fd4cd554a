// The closed-model GET / peak on the lab's own sockets: `connections` kept-alive connections, each
// sending the next `GET /` as soon as the previous answer is complete, as wrk does. Each connection
// reads into one shared buffer (net's `onread`) and writes one prebuilt request, so an answer costs
// one read, one parse of its head and one write; no stream events, strings or header objects.
import net from 'node:net';
import type { Socket } from 'node:net';
import { newTimeHistogram, summarise } from '../common/histogram.js';
import type { TimeHistogram } from '../common/histogram.js';
import type { WantedHeader } from './response-head.js';
import { ResponseParser } from './response-parser.js';
import type { ResponseHandler } from './response-parser.js';

const HTTP_PORT = 80;
const READ_BUFFER_BYTES = 64 * 1024;
const US_PER_MS = 1_000;
/** How often deadlines are checked: a timed-out request is noticed at most this late. */
const DEADLINE_CHECK_MS = 100;
/** A connection that failed waits this long before it connects again, so a refusing target is not hammered. */
const RECONNECT_DELAY_MS = 10;

/** `GET <path>` with a Host header and nothing else: what wrk sends. */
export function plainGetRequest(url: URL): Buffer {
  return Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`, 'latin1');
}

/** What one stretch of the loop counted. */
export interface GetLoopCounts {
  /** Complete answers to requests sent within the stretch. */
  requests: number;
  non2xx: number;
  /** Connections refused, reset or closed mid-answer, and malformed answers. */
  errors: number;
  timeouts: number;
  /** Send to the read that completed the answer, in microseconds. */
  latency: TimeHistogram;
  /** Date.now() at the stretch's start and end: every counted request was sent and answered in between. */
  startedAtMs: number;
  finishedAtMs: number;
  /** performance.now() span of the stretch, in seconds. */
  durationSeconds: number;
}

class Tally {
  requests = 0;
  non2xx = 0;
  errors = 0;
  timeouts = 0;
  readonly latency = newTimeHistogram();
  readonly startedAtMs = Date.now();
  readonly startMs = performance.now();
}

/** One kept-alive connection, the handler of its own response parser. */
class GetConnection implements ResponseHandler {
  private socket: Socket | undefined;
  private readonly parser = new ResponseParser(this);
  /** performance.now() when the request in flight was written; 0 when none is. */
  sentMs = 0;
  private readMs = 0;
  private status = 0;
  /** The tally current when the request in flight was sent: a request counts where it began. */
  private sentIn: Tally | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly loop: GetLoop) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    clearTimeout(this.reconnectTimer);
    this.sentMs = 0;
    this.socket?.destroy();
    this.socket = undefined;
  }

  /** The request in flight took too long: count it and start over on a new connection. */
  timedOut(): void {
    this.loop.current.timeouts++;
    this.restart(0);
  }

  onResponseHeader(_header: WantedHeader, _buffer: Buffer, _start: number, _end: number): void {}

  onResponseHead(status: number): void {
    this.status = status;
  }

  onResponseBody(): void {}

  onResponseComplete(keepAlive: boolean): void {
    const tally = this.loop.current;
    if (this.sentIn === tally) {
      tally.requests++;
      if (this.status < 200 || this.status > 299) tally.non2xx++;
      tally.latency.recordValue(Math.round((this.readMs - this.sentMs) * US_PER_MS));
    }
    if (!this.loop.running) return;
    if (keepAlive) this.send();
    else this.restart(0);
  }

  onResponseError(): void {
    this.loop.current.errors++;
    this.restart(RECONNECT_DELAY_MS);
  }

  private connect(): void {
    const { loop } = this;
    const socket = net.connect({
      host: loop.host,
      port: loop.port,
      noDelay: true,
      onread: {
        buffer: loop.readBuffer,
        callback: (bytes: number) => {
          if (socket !== this.socket) return false;
          this.readMs = performance.now();
          this.parser.feed(loop.readBuffer, 0, bytes);
          return true;
        },
      },
    });
    this.socket = socket;
    socket.on('end', () => {
      if (socket !== this.socket) return;
      this.readMs = performance.now();
      this.parser.end();
    });
    socket.on('error', () => {
      if (socket !== this.socket) return;
      this.onResponseError();
    });
    // Written before the connect completes: net queues it until then, as it does the scenario's first GET.
    this.send();
  }

  private send(): void {
    this.parser.reset();
    this.status = 0;
    this.sentIn = this.loop.current;
    this.sentMs = performance.now();
    this.socket!.write(this.loop.request);
  }

  private restart(delayMs: number): void {
    this.stop();
    if (!this.loop.running) return;
    if (delayMs === 0) this.connect();
    else this.reconnectTimer = setTimeout(() => this.loop.running && this.connect(), delayMs);
  }
}

/** Kept-alive connections sending GET as fast as the target answers, counted in stretches. */
export class GetLoop {
  readonly host: string;
  readonly port: number;
  readonly request: Buffer;
  readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  running = false;
  /** Where answers count now; each stretch gets a new one. */
  current = new Tally();
  private readonly connections: GetConnection[] = [];
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    target: string,
    private readonly connectionCount: number,
    private readonly timeoutMs: number,
  ) {
    const url = new URL(target);
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = url.port === '' ? HTTP_PORT : Number(url.port);
    this.request = plainGetRequest(url);
  }

  /** Opens the connections and keeps them busy until stop(). */
  start(): void {
    this.running = true;
    this.current = new Tally();
    for (let i = 0; i < this.connectionCount; i++) {
      const connection = new GetConnection(this);
      this.connections.push(connection);
      connection.start();
    }
    this.deadlineTimer = setInterval(this.checkDeadlines, DEADLINE_CHECK_MS);
  }

  /**
   * Ends the stretch counted so far and starts a new one, without a pause: only requests sent from
   * now on count in the new one, and what is in flight counts nowhere.
   */
  restartCount(): void {
    this.current = new Tally();
  }

  /** What the current stretch counted, up to now. */
  counts(): GetLoopCounts {
    const tally = this.current;
    const { requests, non2xx, errors, timeouts, latency, startedAtMs, startMs } = tally;
    return { requests, non2xx, errors, timeouts, latency, startedAtMs, finishedAtMs: Date.now(), durationSeconds: (performance.now() - startMs) / 1000 };
  }

  /** Stops sending and closes every connection; answers still in flight are not counted. */
  stop(): GetLoopCounts {
    const counts = this.counts();
    this.running = false;
    // Nothing counts after the end, whatever is still in the read queue.
    this.current = new Tally();
    clearInterval(this.deadlineTimer);
    for (const connection of this.connections) connection.stop();
    this.connections.length = 0;
    return counts;
  }

  private readonly checkDeadlines = (): void => {
    const oldest = performance.now() - this.timeoutMs;
    for (const connection of this.connections) if (connection.sentMs !== 0 && connection.sentMs < oldest) connection.timedOut();
  };
}

/** The latency summary of a stretch in milliseconds, as the peak result keeps it. */
export function latencyMs(counts: GetLoopCounts): { p50: number; p90: number; p99: number; max: number; mean: number } {
  const s = summarise(counts.latency);
  const ms = (us: number) => Math.round(us) / US_PER_MS;
  return { p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), max: ms(s.max), mean: ms(s.mean) };
}
