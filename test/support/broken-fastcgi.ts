import net from 'node:net';
import { cgiParams, encodeNameValuePairs, encodeRecord, FcgiType } from './fcgi-client.js';

// Malformed FastCGI byte streams, and a raw exchange that reports what the server did with them.

export function header(version: number, type: number, id: number, contentLength: number, padding = 0): Buffer {
  return Buffer.from([version, type, id >> 8, id & 0xff, contentLength >> 8, contentLength & 0xff, padding, 0]);
}

export function beginRequest(id: number, role = 1, keepConn = true): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16BE(role, 0);
  body[2] = keepConn ? 1 : 0;
  return encodeRecord(FcgiType.BEGIN_REQUEST, id, body);
}

const withVersion = (version: number, record: Buffer) => Buffer.concat([Buffer.from([version]), record.subarray(1)]);

const params = (id: number) => encodeRecord(FcgiType.PARAMS, id, encodeNameValuePairs(cgiParams('GET', '/healthz')));

/** What the server should do: close the connection, ignore the records (and go on serving it), or answer FCGI_UNKNOWN_TYPE. */
export type Outcome = 'closed' | 'ignored' | 'unknown-type';

export interface BrokenCase {
  what: string;
  bytes: Buffer;
  outcome: Outcome;
}

export const BROKEN_RECORDS: readonly BrokenCase[] = [
  { what: 'version byte 0 on a valid BEGIN_REQUEST', bytes: withVersion(0, beginRequest(1)), outcome: 'closed' },
  { what: 'version byte 2 on a valid BEGIN_REQUEST', bytes: withVersion(2, beginRequest(1)), outcome: 'closed' },
  { what: 'an HTTP request sent to the FastCGI port', bytes: Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\n\r\n${'x'.repeat(200)}`), outcome: 'closed' },
  { what: 'unknown record type 99 for a request', bytes: Buffer.concat([beginRequest(1), header(1, 99, 1, 0)]), outcome: 'closed' },
  { what: 'record type 0 for a request', bytes: Buffer.concat([beginRequest(1), header(1, 0, 1, 0)]), outcome: 'closed' },
  { what: 'unknown management record type 200', bytes: header(1, 200, 0, 0), outcome: 'unknown-type' },
  { what: 'FCGI_STDOUT sent by the client', bytes: Buffer.concat([beginRequest(1), encodeRecord(FcgiType.STDOUT, 1, Buffer.from('x'))]), outcome: 'closed' },
  {
    what: 'FCGI_END_REQUEST sent by the client',
    bytes: Buffer.concat([beginRequest(1), encodeRecord(FcgiType.END_REQUEST, 1, Buffer.alloc(8))]),
    outcome: 'closed',
  },
  { what: 'BEGIN_REQUEST on the management id 0', bytes: Buffer.concat([beginRequest(0), params(0)]), outcome: 'closed' },
  {
    what: 'PARAMS and STDIN for a request id never begun',
    bytes: Buffer.concat([params(7), encodeRecord(FcgiType.PARAMS, 7), encodeRecord(FcgiType.STDIN, 7)]),
    outcome: 'ignored',
  },
  { what: 'ABORT_REQUEST for a request id never begun', bytes: encodeRecord(FcgiType.ABORT_REQUEST, 9), outcome: 'ignored' },
  { what: 'a second BEGIN_REQUEST for an open id', bytes: Buffer.concat([beginRequest(3), beginRequest(3)]), outcome: 'ignored' },
  {
    what: 'a name-value length running past its record',
    bytes: Buffer.concat([beginRequest(4), encodeRecord(FcgiType.PARAMS, 4, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 0x41]))]),
    outcome: 'ignored',
  },
  { what: 'a BEGIN_REQUEST body of 3 bytes', bytes: Buffer.concat([header(1, FcgiType.BEGIN_REQUEST, 5, 3), Buffer.from([0, 1, 0])]), outcome: 'ignored' },
  { what: '255 bytes of padding', bytes: Buffer.concat([header(1, FcgiType.ABORT_REQUEST, 11, 0, 255), Buffer.alloc(255)]), outcome: 'ignored' },
];

/** Records that stop in the middle, then the client goes away. */
export const CUT_RECORDS: readonly BrokenCase[] = [
  { what: 'a connection cut inside a record header', bytes: Buffer.concat([beginRequest(1), Buffer.from([1, FcgiType.PARAMS, 0])]), outcome: 'closed' },
  {
    what: 'a connection cut inside a record body',
    bytes: Buffer.concat([beginRequest(1), header(1, FcgiType.PARAMS, 1, 400), Buffer.alloc(40)]),
    outcome: 'closed',
  },
];

/** A request whose PARAMS stream never ends, or whose STDIN stops halfway: held open until the server's request timeout. */
export const STALLED_REQUESTS: readonly BrokenCase[] = [
  { what: 'a PARAMS stream that never ends', bytes: Buffer.concat([beginRequest(1), params(1)]), outcome: 'closed' },
  {
    what: 'an FCGI_STDIN that stops halfway',
    bytes: Buffer.concat([
      beginRequest(1),
      encodeRecord(FcgiType.PARAMS, 1, encodeNameValuePairs(cgiParams('POST', '/', { contentType: 'application/x-www-form-urlencoded', contentLength: 100 }))),
      encodeRecord(FcgiType.PARAMS, 1),
      encodeRecord(FcgiType.STDIN, 1, Buffer.from('body=stalled')),
    ]),
    outcome: 'closed',
  },
];

export interface Exchange {
  /** The server closed the connection (not counting a cut made by the client). */
  closedByServer: boolean;
  /** Record types the server sent back, in order. */
  types: number[];
  /** FCGI_GET_VALUES on the same connection: true when answered, i.e. the connection still serves. */
  stillServes(): Promise<boolean>;
  close(): void;
}

function recordTypes(received: Buffer): number[] {
  const types: number[] = [];
  for (let offset = 0; offset + 8 <= received.length; offset += 8 + received.readUInt16BE(offset + 4) + received[offset + 6]!) {
    types.push(received[offset + 1]!);
  }
  return types;
}

/** Sends the bytes on a new connection (then cuts it, if asked) and waits up to waitMs for the server to close it. */
export async function exchange(target: { host: string; port: number }, bytes: Buffer, waitMs: number, cut = false): Promise<Exchange> {
  const socket = net.connect(target.port, target.host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = Buffer.alloc(0);
  let closedByServer = false;
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  socket.on('error', () => undefined);
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void gone.then(() => (closedByServer = !cut));
  socket.write(bytes);
  if (cut) socket.destroy();
  await Promise.race([gone, new Promise((r) => setTimeout(r, waitMs))]);
  const before = received.length;
  return {
    closedByServer,
    types: recordTypes(received),
    async stillServes() {
      if (socket.destroyed) return false;
      socket.write(encodeRecord(FcgiType.GET_VALUES, 0, encodeNameValuePairs({ FCGI_MPXS_CONNS: '' })));
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline && !socket.destroyed) {
        if (recordTypes(received.subarray(before)).includes(FcgiType.GET_VALUES_RESULT)) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    },
    close: () => socket.destroy(),
  };
}
