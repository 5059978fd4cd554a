import type { Duplex } from 'node:stream';
import { errorResponse, type Identity } from '../core/guestbook.js';
import { STATUS_TEXT } from '../core/page.js';

/**
 * Answers a request Node's HTTP parser rejects (an unknown method, oversized headers) with the
 * contract's headers, where Node would send a bare 400 and fastify a JSON one.
 */
export function answerClientError(identity: Identity): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    // Only the HTTP parser's errors get an answer: node-fastcgi also reports a FastCGI socket's errors here.
    const parseError = err.code?.startsWith('HPE_') === true || err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (!parseError || !socket.writable || started) {
      socket.destroy();
      return;
    }
    // The same choice of status as Node's own answer.
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const response = errorResponse(identity, status, 'the request could not be read');
    const body = Buffer.from(response.body);
    const head = Object.entries({ ...response.headers, 'content-length': String(body.length), connection: 'close' })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${head}\r\n`, 'latin1'), body]));
  };
}
