import net from 'node:net';
import { cgiParams, encodeNameValuePairs, encodeRecord, FcgiType, openFcgiConnection } from './fcgi-client.js';
import { rawHttp, type RawHttpAnswer } from './raw-http.js';

/** One request as hostile-input tests describe it, whatever carries it. */
export interface HostileRequest {
  method: string;
  path: string;
  contentType?: string;
  cookie?: string;
  body?: Buffer | string;
  /** Content-Length (CONTENT_LENGTH) to claim instead of the body's length. */
  contentLength?: number;
  /** Send only this many body bytes, then close our side of the connection. */
  truncateBodyAt?: number;
}

/** Through nginx (HTTP), or straight to a FastCGI app server's port. */
export type Layer = 'nginx' | 'fastcgi';

export type Answer = RawHttpAnswer;

const ANSWER_TIMEOUT_MS = 10_000;

function bodyBytes(body: Buffer | string | undefined): Buffer {
  return typeof body === 'string' ? Buffer.from(body) : (body ?? Buffer.alloc(0));
}

function viaHttp(target: { host: string; port: number }, req: HostileRequest): Promise<Answer> {
  const headers: Array<[string, string]> = [];
  if (req.contentType !== undefined) headers.push(['Content-Type', req.contentType]);
  if (req.cookie !== undefined) headers.push(['Cookie', req.cookie]);
  return rawHttp(
    target,
    {
      method: req.method,
      path: req.path,
      headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.contentLength !== undefined ? { contentLength: req.contentLength } : {}),
      ...(req.truncateBodyAt !== undefined ? { truncateBodyAt: req.truncateBodyAt } : {}),
    },
    ANSWER_TIMEOUT_MS,
  );
}

function paramsOf(req: HostileRequest): Record<string, string> {
  const body = bodyBytes(req.body);
  const hasBody = req.body !== undefined || req.contentLength !== undefined;
  return cgiParams(req.method, req.path, {
    ...(req.contentType !== undefined ? { contentType: req.contentType } : {}),
    ...(hasBody ? { contentLength: req.contentLength ?? body.length } : {}),
    ...(req.cookie !== undefined ? { cookie: req.cookie } : {}),
  });
}

/** BEGIN_REQUEST, the params and part of FCGI_STDIN, then the connection is closed: what a client that died mid-body leaves. */
async function truncatedFastcgi(target: { host: string; port: number }, req: HostileRequest): Promise<Answer> {
  const socket = net.connect(target.port, target.host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(1, 0);
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => socket.destroy());
  socket.write(
    Buffer.concat([
      encodeRecord(FcgiType.BEGIN_REQUEST, 1, begin),
      encodeRecord(FcgiType.PARAMS, 1, encodeNameValuePairs(paramsOf(req))),
      encodeRecord(FcgiType.PARAMS, 1),
      encodeRecord(FcgiType.STDIN, 1, bodyBytes(req.body).subarray(0, req.truncateBodyAt)),
    ]),
  );
  socket.end();
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // Whatever the server wrote before it saw the end is not a complete answer.
  return { status: 0, headers: {}, body: Buffer.concat(received).toString('latin1') };
}

async function viaFastcgi(target: { host: string; port: number }, req: HostileRequest): Promise<Answer> {
  if (req.truncateBodyAt !== undefined) return truncatedFastcgi(target, req);
  const conn = await openFcgiConnection(target);
  let timer: NodeJS.Timeout | undefined;
  try {
    const response = await Promise.race([
      conn.request({ params: paramsOf(req), body: bodyBytes(req.body), keepConn: false }),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${req.method} ${req.path}: no FastCGI answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
      }),
    ]);
    return { status: response.status, headers: response.headers, body: response.body.toString('utf8') };
  } catch (error) {
    if (conn.serverClosed) return { status: 0, headers: {}, body: '' };
    throw error;
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

export function send(layer: Layer, target: { host: string; port: number }, req: HostileRequest): Promise<Answer> {
  return layer === 'nginx' ? viaHttp(target, req) : viaFastcgi(target, req);
}

/** A form body from name/value pairs, each already encoded as it should go on the wire. */
export function rawForm(pairs: Array<[string, string]>): string {
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}
