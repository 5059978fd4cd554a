import net from 'node:net';

// HTTP/1.1 written byte by byte: fetch and undici refuse the malformed, lying and cut-off
// requests that hostile-input tests must send.

export interface RawHttpRequest {
  method: string;
  path: string;
  /** Sent as given, in order; Host and Connection: close are added unless present. */
  headers?: Array<[string, string]>;
  body?: Buffer | string;
  /** Content-Length to announce; defaults to the body's length (absent when there is no body). */
  contentLength?: number;
  /** Send only this many bytes of the body, then end our side of the connection. */
  truncateBodyAt?: number;
  /** Send only this many bytes of the body, then wait, sending nothing, for the server to answer or close. */
  stallBodyAt?: number;
  /** Send the headers without the blank line that ends them, then wait. */
  stallHeaders?: boolean;
}

export interface RawHttpAnswer {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

export function baseAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

function encodeRequest(request: RawHttpRequest, host: string): { head: Buffer; body: Buffer } {
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : (request.body ?? Buffer.alloc(0));
  const headers = [...(request.headers ?? [])];
  const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', host]);
  if (!has('connection')) headers.push(['Connection', 'close']);
  const length = request.contentLength ?? (request.body === undefined ? undefined : body.length);
  if (length !== undefined && !has('content-length')) headers.push(['Content-Length', String(length)]);
  const head = `${request.method} ${request.path} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return { head: Buffer.from(head, 'latin1'), body };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

export function parseAnswer(raw: Buffer): RawHttpAnswer {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (raw.length === 0 || headEnd < 0) return { status: 0, headers: {}, body: raw.toString('utf8') };
  const lines = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = raw.subarray(headEnd + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status, headers, body: body.toString('utf8') };
}

/** One request on a new connection; resolves with whatever came back once the server closed it. */
export function rawHttp(target: { host: string; port: number }, request: RawHttpRequest, timeoutMs = 15_000): Promise<RawHttpAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target.port, target.host);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${request.method} ${request.path}: no end of the answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the server answered (it closed with our bytes unread) still leaves the answer.
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks)));
    });
    socket.once('connect', () => {
      const { head, body } = encodeRequest(request, `${target.host}:${target.port}`);
      if (request.stallHeaders) {
        socket.write(head.subarray(0, head.length - 2));
        return;
      }
      const cut = request.truncateBodyAt ?? request.stallBodyAt;
      socket.write(Buffer.concat([head, cut === undefined ? body : body.subarray(0, cut)]));
      if (request.truncateBodyAt !== undefined) socket.end();
    });
  });
}
