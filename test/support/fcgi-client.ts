import net from 'node:net';

/** FastCGI record types (FastCGI 1.0 specification, section 8). */
export const FcgiType = {
  BEGIN_REQUEST: 1,
  ABORT_REQUEST: 2,
  END_REQUEST: 3,
  PARAMS: 4,
  STDIN: 5,
  STDOUT: 6,
  STDERR: 7,
  DATA: 8,
  GET_VALUES: 9,
  GET_VALUES_RESULT: 10,
  UNKNOWN_TYPE: 11,
} as const;

const RESPONDER = 1;
const KEEP_CONN = 1;
const MAX_CONTENT = 0xffff;

export type FcgiTarget = { host: string; port: number } | { path: string };

export interface FcgiRecord {
  type: number;
  id: number;
  length: number;
}

/** A received record; afterEnd marks one whose request id had no request open (it came after END_REQUEST). */
export interface ReceivedRecord extends FcgiRecord {
  afterEnd: boolean;
}

export interface FcgiRequest {
  params: Record<string, string>;
  body?: Buffer;
  keepConn: boolean;
  id?: number;
}

export interface FcgiResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  stderr: Buffer;
  /** This request's records, END_REQUEST included. */
  records: FcgiRecord[];
  appStatus: number;
  protocolStatus: number;
}

export interface FcgiConnection {
  request(request: FcgiRequest): Promise<FcgiResponse>;
  /** FCGI_GET_VALUES on the management id 0; also proves the server still serves this connection. */
  getValues(names: string[]): Promise<Record<string, string>>;
  close(): void;
  /** Resolves when the socket is closed, by either side. */
  closed: Promise<void>;
  /** True once the server ended its side of the connection. */
  readonly serverClosed: boolean;
  /** Every record received on this connection, in arrival order. */
  records: ReceivedRecord[];
}

interface OpenRequest {
  stdout: Buffer[];
  stderr: Buffer[];
  records: FcgiRecord[];
  resolve(response: FcgiResponse): void;
  reject(error: Error): void;
}

export function encodeRecord(type: number, id: number, content: Buffer = Buffer.alloc(0)): Buffer {
  const padding = (8 - (content.length % 8)) % 8;
  const header = Buffer.alloc(8);
  header[0] = 1;
  header[1] = type;
  header.writeUInt16BE(id, 2);
  header.writeUInt16BE(content.length, 4);
  header[6] = padding;
  return Buffer.concat([header, content, Buffer.alloc(padding)]);
}

/** A stream (PARAMS, STDIN) as records of at most 64 KiB, then the empty terminator. */
function encodeStream(type: number, id: number, data: Buffer): Buffer[] {
  const records: Buffer[] = [];
  for (let start = 0; start < data.length; start += MAX_CONTENT) {
    records.push(encodeRecord(type, id, data.subarray(start, start + MAX_CONTENT)));
  }
  records.push(encodeRecord(type, id));
  return records;
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const long = Buffer.alloc(4);
  long.writeUInt32BE((length | 0x80000000) >>> 0);
  return long;
}

export function encodeNameValuePairs(pairs: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.entries(pairs).flatMap(([name, value]) => {
      const nameBytes = Buffer.from(name);
      const valueBytes = Buffer.from(value);
      return [encodeLength(nameBytes.length), encodeLength(valueBytes.length), nameBytes, valueBytes];
    }),
  );
}

export function decodeNameValuePairs(content: Buffer): Record<string, string> {
  const pairs: Record<string, string> = {};
  let offset = 0;
  const readLength = (): number => {
    if (content[offset]! < 0x80) return content[offset++]!;
    const length = content.readUInt32BE(offset) & 0x7fffffff;
    offset += 4;
    return length;
  };
  while (offset < content.length) {
    const nameLength = readLength();
    const valueLength = readLength();
    const name = content.subarray(offset, offset + nameLength).toString();
    offset += nameLength;
    pairs[name] = content.subarray(offset, offset + valueLength).toString();
    offset += valueLength;
  }
  return pairs;
}

/** Splits a CGI response (header lines, blank line, body) the way a web server reads it. */
export function parseCgiResponse(stdout: Buffer): Pick<FcgiResponse, 'status' | 'headers' | 'body'> {
  const crlf = stdout.indexOf('\r\n\r\n');
  const lf = stdout.indexOf('\n\n');
  const useCrlf = crlf !== -1 && (lf === -1 || crlf < lf);
  const headEnd = useCrlf ? crlf : lf;
  if (headEnd === -1) return { status: 200, headers: {}, body: stdout };

  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of stdout.subarray(0, headEnd).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number.parseInt(value, 10);
    else headers[name] = value;
  }
  return { status, headers, body: stdout.subarray(headEnd + (useCrlf ? 4 : 2)) };
}

export async function openFcgiConnection(target: FcgiTarget): Promise<FcgiConnection> {
  const socket = 'path' in target ? net.connect(target.path) : net.connect(target.port, target.host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });

  const open = new Map<number, OpenRequest>();
  const valueWaiters: Array<Pick<OpenRequest, 'reject'> & { resolve(values: Record<string, string>): void }> = [];
  const records: ReceivedRecord[] = [];
  let pending = Buffer.alloc(0);
  let serverClosed = false;
  let nextId = 1;

  const failPending = (error: Error): void => {
    for (const [id, request] of open) request.reject(new Error(`request ${id}: ${error.message}`));
    open.clear();
    for (const waiter of valueWaiters.splice(0)) waiter.reject(new Error(`GET_VALUES: ${error.message}`));
  };
  const isClosed = (): boolean => socket.destroyed || serverClosed;

  const onRecord = (type: number, id: number, content: Buffer): void => {
    const request = open.get(id);
    records.push({ type, id, length: content.length, afterEnd: id !== 0 && request === undefined });
    if (type === FcgiType.GET_VALUES_RESULT) valueWaiters.shift()?.resolve(decodeNameValuePairs(content));
    if (request === undefined) return;

    request.records.push({ type, id, length: content.length });
    if (type === FcgiType.STDOUT) request.stdout.push(content);
    if (type === FcgiType.STDERR) request.stderr.push(content);
    if (type !== FcgiType.END_REQUEST) return;

    open.delete(id);
    request.resolve({
      ...parseCgiResponse(Buffer.concat(request.stdout)),
      stderr: Buffer.concat(request.stderr),
      records: request.records,
      appStatus: content.readUInt32BE(0),
      protocolStatus: content[4]!,
    });
  };

  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const length = pending.readUInt16BE(4);
      const total = 8 + length + pending[6]!;
      if (pending.length < total) break;
      onRecord(pending[1]!, pending.readUInt16BE(2), pending.subarray(8, 8 + length));
      pending = pending.subarray(total);
    }
  });
  socket.on('end', () => {
    serverClosed = true;
    failPending(new Error('server closed the connection before answering'));
  });
  socket.on('error', (error) => failPending(error));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('close', () => failPending(new Error('connection closed before answering')));

  return {
    request({ params, body = Buffer.alloc(0), keepConn, id = nextId++ }) {
      if (isClosed()) return Promise.reject(new Error(`request ${id}: connection is closed`));
      if (open.has(id)) return Promise.reject(new Error(`request id ${id} is already open`));
      return new Promise<FcgiResponse>((resolve, reject) => {
        open.set(id, { stdout: [], stderr: [], records: [], resolve, reject });
        const begin = Buffer.alloc(8);
        begin.writeUInt16BE(RESPONDER, 0);
        begin[2] = keepConn ? KEEP_CONN : 0;
        socket.write(
          Buffer.concat([
            encodeRecord(FcgiType.BEGIN_REQUEST, id, begin),
            ...encodeStream(FcgiType.PARAMS, id, encodeNameValuePairs(params)),
            ...encodeStream(FcgiType.STDIN, id, body),
          ]),
        );
      });
    },
    getValues(names) {
      const query = encodeNameValuePairs(Object.fromEntries(names.map((name) => [name, ''])));
      if (isClosed()) return Promise.reject(new Error('GET_VALUES: connection is closed'));
      return new Promise((resolve, reject) => {
        valueWaiters.push({ resolve, reject });
        socket.write(encodeRecord(FcgiType.GET_VALUES, 0, query));
      });
    },
    close() {
      socket.end();
    },
    closed,
    get serverClosed() {
      return serverClosed;
    },
    records,
  };
}

export interface CgiParamOptions {
  contentType?: string;
  contentLength?: number;
  host?: string;
  cookie?: string;
  remoteAddr?: string;
  serverPort?: number;
}

/** The params nginx sends with Debian's fastcgi_params (CONTENT_* are empty strings when there is no body). */
export function cgiParams(method: string, uri: string, options: CgiParamOptions = {}): Record<string, string> {
  const query = uri.indexOf('?');
  const params: Record<string, string> = {
    REQUEST_METHOD: method,
    REQUEST_URI: uri,
    SCRIPT_NAME: query === -1 ? uri : uri.slice(0, query),
    QUERY_STRING: query === -1 ? '' : uri.slice(query + 1),
    SERVER_PROTOCOL: 'HTTP/1.1',
    CONTENT_TYPE: options.contentType ?? '',
    CONTENT_LENGTH: options.contentLength === undefined ? '' : String(options.contentLength),
    HTTP_HOST: options.host ?? 'localhost',
    REMOTE_ADDR: options.remoteAddr ?? '127.0.0.1',
    SERVER_PORT: String(options.serverPort ?? 80),
  };
  if (options.cookie !== undefined) params.HTTP_COOKIE = options.cookie;
  return params;
}
