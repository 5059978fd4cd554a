// Reads one HTTP/1.x response head in place: the status, how the body is framed, whether the
// connection stays open, and the byte ranges of the few headers the scenario reads.

/** Headers handed to the caller; the framing headers are read here. */
export const enum WantedHeader {
  SetCookie,
  Location,
  XBackend,
  XWorker,
}

export interface HeaderSink {
  /** A wanted header's value, valid only during the call. */
  onResponseHeader(header: WantedHeader, buffer: Buffer, start: number, end: number): void;
}

export const enum BodyFraming {
  None,
  Length,
  Chunked,
  /** The body ends when the server closes the connection. */
  UntilClose,
}

/** Filled in by readResponseHead; one per parser, reused for every response. */
export interface HeadFacts {
  framing: BodyFraming;
  contentLength: number;
  keepAlive: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const COMMA = 0x2c;
const SPACE = 0x20;
const TAB = 0x09;
/** "HTTP/1.x NNN" */
const STATUS_LINE_MIN_BYTES = 12;
/** Digits of a Content-Length: beyond this it is garbage, and stays exact as a double. */
const MAX_LENGTH_DIGITS = 15;

const NAMES = {
  contentLength: Buffer.from('content-length'),
  transferEncoding: Buffer.from('transfer-encoding'),
  connection: Buffer.from('connection'),
  setCookie: Buffer.from('set-cookie'),
  location: Buffer.from('location'),
  xBackend: Buffer.from('x-backend'),
  xWorker: Buffer.from('x-worker'),
};
const CHUNKED = Buffer.from('chunked');
const CLOSE = Buffer.from('close');
const KEEP_ALIVE = Buffer.from('keep-alive');

/**
 * Reads the head in `head[start, end)` (without its final blank line). Returns the status, or -1
 * when it is not an HTTP/1.x response head; wanted headers of a final (non-1xx) answer go to `sink`.
 */
export function readResponseHead(head: Buffer, start: number, end: number, facts: HeadFacts, sink: HeaderSink): number {
  if (end - start < STATUS_LINE_MIN_BYTES || head[start] !== 0x48 || head[start + 5] !== 0x31 || head[start + 6] !== 0x2e || head[start + 8] !== SPACE)
    return -1;
  if (end - start > STATUS_LINE_MIN_BYTES && head[start + 12] !== SPACE && head[start + 12] !== CR) return -1;
  const minor = head[start + 7]! - 0x30;
  const status = digit(head[start + 9]!) * 100 + digit(head[start + 10]!) * 10 + digit(head[start + 11]!);
  if (minor < 0 || minor > 9 || !(status >= 100 && status <= 999)) return -1;
  // An interim answer's headers are not the response's.
  const wanted = status >= 200;
  let keepAlive = minor >= 1;
  let contentLength = -1;
  let chunked = false;
  let otherEncoding = false;
  // Byte loops rather than indexOf: header lines are short, and each native call costs more than the scan.
  let line = start + STATUS_LINE_MIN_BYTES;
  while (line < end && head[line] !== LF) line++;
  line++;
  while (line < end) {
    let colon = line;
    while (colon < end && head[colon] !== COLON && head[colon] !== LF) colon++;
    if (colon === end || head[colon] !== COLON) return -1;
    let lineEnd = colon + 1;
    while (lineEnd < end && head[lineEnd] !== LF) lineEnd++;
    let valueStart = colon + 1;
    let valueEnd = head[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    while (valueStart < valueEnd && isBlank(head[valueStart]!)) valueStart++;
    while (valueEnd > valueStart && isBlank(head[valueEnd - 1]!)) valueEnd--;
    // Dispatch on the name's length first: most headers are ruled out without reading them.
    switch (colon - line) {
      case 14:
        if (nameIs(head, line, NAMES.contentLength)) {
          const length = decimal(head, valueStart, valueEnd);
          if (length < 0 || (contentLength >= 0 && length !== contentLength)) return -1;
          contentLength = length;
        }
        break;
      case 17:
        if (nameIs(head, line, NAMES.transferEncoding)) {
          if (endsWithToken(head, valueStart, valueEnd, CHUNKED)) chunked = true;
          else otherEncoding = true;
        }
        break;
      case 10:
        if (nameIs(head, line, NAMES.connection)) {
          if (hasToken(head, valueStart, valueEnd, CLOSE)) keepAlive = false;
          else if (hasToken(head, valueStart, valueEnd, KEEP_ALIVE)) keepAlive = true;
        } else if (wanted && nameIs(head, line, NAMES.setCookie)) {
          sink.onResponseHeader(WantedHeader.SetCookie, head, valueStart, valueEnd);
        }
        break;
      case 8:
        if (!wanted) break;
        if (nameIs(head, line, NAMES.location)) sink.onResponseHeader(WantedHeader.Location, head, valueStart, valueEnd);
        else if (nameIs(head, line, NAMES.xWorker)) sink.onResponseHeader(WantedHeader.XWorker, head, valueStart, valueEnd);
        break;
      case 9:
        if (wanted && nameIs(head, line, NAMES.xBackend)) sink.onResponseHeader(WantedHeader.XBackend, head, valueStart, valueEnd);
        break;
    }
    line = lineEnd + 1;
  }
  facts.keepAlive = keepAlive;
  facts.contentLength = contentLength;
  if (status === 204 || status === 304 || status < 200) facts.framing = BodyFraming.None;
  else if (chunked && !otherEncoding) facts.framing = BodyFraming.Chunked;
  else if (otherEncoding || chunked || contentLength < 0) facts.framing = BodyFraming.UntilClose;
  else facts.framing = contentLength === 0 ? BodyFraming.None : BodyFraming.Length;
  return status;
}

function isBlank(byte: number): boolean {
  return byte === SPACE || byte === TAB;
}

function digit(byte: number): number {
  return byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : NaN;
}

/** A non-negative decimal of at most MAX_LENGTH_DIGITS digits, else -1. */
function decimal(buffer: Buffer, start: number, end: number): number {
  if (end <= start || end - start > MAX_LENGTH_DIGITS) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const d = digit(buffer[i]!);
    if (Number.isNaN(d)) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** True when the name at `start` equals `lowerName` ignoring ASCII case (the length is checked by the caller). */
function nameIs(buffer: Buffer, start: number, lowerName: Buffer): boolean {
  for (let i = 0; i < lowerName.length; i++) {
    if ((buffer[start + i]! | 0x20) !== lowerName[i]) return false;
  }
  return true;
}

/** True when the comma-separated list holds `token`, ignoring case. */
function hasToken(buffer: Buffer, start: number, end: number, token: Buffer): boolean {
  let at = start;
  while (at < end) {
    while (at < end && (isBlank(buffer[at]!) || buffer[at] === COMMA)) at++;
    let itemEnd = at;
    while (itemEnd < end && buffer[itemEnd] !== COMMA) itemEnd++;
    let trimmed = itemEnd;
    while (trimmed > at && isBlank(buffer[trimmed - 1]!)) trimmed--;
    if (trimmed - at === token.length && nameIs(buffer, at, token)) return true;
    at = itemEnd + 1;
  }
  return false;
}

/** True when the last item of the comma-separated list is `token` (the final transfer coding). */
function endsWithToken(buffer: Buffer, start: number, end: number, token: Buffer): boolean {
  let at = end;
  while (at > start && buffer[at - 1] !== COMMA) at--;
  while (at < end && isBlank(buffer[at]!)) at++;
  return end - at === token.length && nameIs(buffer, at, token);
}
