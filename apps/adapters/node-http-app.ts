import type http from 'node:http';
import { errorResponse, type GuestbookHandler, type Identity } from '../core/guestbook.js';
import { MAX_FORM_BYTES } from '../core/limits.js';
import { closeServer, listenServer, nodeServer, writeCoreResponse } from './node-server.js';
import type { AppServer, AppServerOptions } from './app-server.js';

const TOO_LARGE = Symbol('too large');
const SHORT_OR_LONG = Symbol('length differs from Content-Length');

/** Reads a request body up to the limit; past it, the rest is left for Node to discard. */
function readBody(req: http.IncomingMessage, limitBytes: number): Promise<Buffer | typeof TOO_LARGE | typeof SHORT_OR_LONG> {
  const declaredText = req.headers['content-length'];
  const declared = Number(declaredText ?? 0);
  if (declared > limitBytes) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.removeAllListeners('data');
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      // node:http holds a body to its Content-Length, but node-fastcgi hands on whatever FCGI_STDIN carried.
      if (declaredText !== undefined && size !== declared) resolve(SHORT_OR_LONG);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.once('error', reject);
  });
}

/** The no-framework baseline: node:http (or node-fastcgi) and a hand-written body reader. */
export function nodeHttpAppServer(options: AppServerOptions): AppServer {
  const { handle, identity } = options;
  const server = nodeServer(
    options.protocol,
    (req, res) => {
      respond(req, res, handle, identity).catch(() => {
        if (!res.headersSent) writeCoreResponse(res, errorResponse(identity, 500, 'internal error'));
        else res.destroy();
      });
    },
    identity,
  );
  return {
    listen: (address, backlog) => listenServer(server, address, backlog),
    close: () => closeServer(server),
  };
}

async function respond(req: http.IncomingMessage, res: http.ServerResponse, handle: GuestbookHandler, identity: Identity): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const body = hasBody ? await readBody(req, MAX_FORM_BYTES) : undefined;
  if (body === TOO_LARGE) {
    writeCoreResponse(res, errorResponse(identity, 413, `the form is larger than ${MAX_FORM_BYTES} bytes`));
    return;
  }
  if (body === SHORT_OR_LONG) {
    writeCoreResponse(res, errorResponse(identity, 400, 'the body does not match its Content-Length'));
    return;
  }
  const response = await handle({
    method: req.method ?? 'GET',
    path: q < 0 ? url : url.slice(0, q),
    cookie: req.headers.cookie,
    contentType: req.headers['content-type'],
    body,
  });
  writeCoreResponse(res, response);
}
