// Where one HTTP/1.1 request ends in the bytes a connection has received, and the little the delay
// target needs to know of it: method, path, whether it carries a cookie. Only what the scenario
// client sends is understood (a head, then a Content-Length body or none); no chunked bodies.

export interface RequestFrame {
  method: string;
  path: string;
  hasCookie: boolean;
  /** Offset just past the request's last byte (head and body). */
  end: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** A head larger than this is not a scenario request. */
export const MAX_HEAD_BYTES = 16 * 1024;
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d{1,9})[ \t]*(?=\r\n)/i;
const COOKIE = /\r\ncookie:/i;
const TRANSFER_ENCODING = /\r\ntransfer-encoding:/i;

export class RequestFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestFrameError';
  }
}

/**
 * The request that starts at `start`, or undefined while it is not complete yet.
 * Throws RequestFrameError for what no scenario client sends.
 */
export function frameRequest(buffer: Buffer, start: number): RequestFrame | undefined {
  const headEnd = buffer.indexOf(HEAD_END, start);
  if (headEnd < 0) {
    if (buffer.length - start > MAX_HEAD_BYTES) throw new RequestFrameError('request head too large');
    return undefined;
  }
  if (headEnd - start > MAX_HEAD_BYTES) throw new RequestFrameError('request head too large');
  // The head's lines end in CRLF; the last one is followed by the blank line, so keep its CRLF.
  const head = buffer.toString('latin1', start, headEnd + 2);
  const lineEnd = head.indexOf('\r\n');
  const [method, path, version] = head.slice(0, lineEnd).split(' ');
  if (method === undefined || path === undefined || version === undefined || !version.startsWith('HTTP/1.')) {
    throw new RequestFrameError('not an HTTP/1.x request line');
  }
  if (TRANSFER_ENCODING.test(head)) throw new RequestFrameError('chunked request bodies are not supported');
  const length = CONTENT_LENGTH.exec(head);
  const end = headEnd + HEAD_END.length + (length === null ? 0 : Number(length[1]));
  if (end > buffer.length) return undefined;
  return { method, path, hasCookie: COOKIE.test(head), end };
}
