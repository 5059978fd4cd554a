import fs from 'node:fs';
import http from 'node:http';
import type { Protocol } from '../variants.js';
import type { ListenAddress } from '../listen.js';
import type { CoreResponse, Identity } from '../core/guestbook.js';
import { answerClientError } from './client-error.js';
import { closeConnectionsWhenAnswered } from './close-when-answered.js';
import { createFastcgiServer } from './fastcgi-server.js';

// Longer than nginx's upstream keepalive_timeout (4 s in nginx/*.template): if the app closed idle
// kept connections first, nginx could send a request on a socket being closed and answer 502.
export const KEEP_ALIVE_TIMEOUT_MS = 75_000;

export type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** An HTTP server, or a FastCGI server handing out the same request/response pair. */
export function nodeServer(protocol: Protocol, listener: RequestListener, identity: Identity): http.Server {
  if (protocol === 'fastcgi') return createFastcgiServer(listener);
  const server = http.createServer(listener);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('clientError', answerClientError(identity));
  closeConnectionsWhenAnswered(server);
  return server;
}

/** Listens; a unix socket is opened to all, since nginx's workers run as another user. */
export function listenServer(server: http.Server, address: ListenAddress, backlog: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      if ('path' in address) fs.chmodSync(address.path, 0o777);
      resolve();
    };
    if ('path' in address) server.listen({ path: address.path, backlog }, done);
    else server.listen({ host: address.host, port: address.port, backlog }, done);
  });
}

/** Stops accepting, closes idle kept-alive connections now, and resolves when in-flight requests are done. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export function writeCoreResponse(res: http.ServerResponse, response: CoreResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}
