import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const require = createRequire(import.meta.url);
const fcgi = require('node-fastcgi') as {
  createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server;
};

// nginx passes a request on only once it has the whole body, and writes it in one go: a request
// whose params or stdin are still incomplete after this long comes from a broken or hostile client.
export const FASTCGI_REQUEST_TIMEOUT_MS = 5_000;

/**
 * A node-fastcgi server (patched, see patches/README.md) that also knows which kept-alive
 * connections are idle: without closeIdleConnections(), shutdown would wait for nginx's idle
 * upstream connections, which stay open for 60 s.
 */
export function createFastcgiServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const busy = new Map<Socket, number>();
  const server = fcgi.createServer((req, res) => {
    // nginx's fastcgi_params always sends CONTENT_TYPE and CONTENT_LENGTH, empty on a GET or DELETE;
    // an empty header would make the request look like it carries a body of no known type.
    if (req.headers['content-type'] === '') delete req.headers['content-type'];
    if (req.headers['content-length'] === '') delete req.headers['content-length'];
    // node-fastcgi's req.socket is the request's own stream; _conn is the real connection. The stream
    // closes once FCGI_END_REQUEST is written (the response itself never emits 'close' on a kept connection).
    const request = req.socket as unknown as Socket & { _conn: Socket };
    const conn = request._conn;
    busy.set(conn, (busy.get(conn) ?? 0) + 1);
    request.once('close', () => {
      const left = (busy.get(conn) ?? 1) - 1;
      busy.set(conn, left);
      // Once the server is closing, a kept connection goes when its last answer is out (end() flushes it first).
      if (left === 0 && !server.listening) conn.end();
    });
    handler(req, res);
  });
  // Honoured by the patched node-fastcgi: the connection of a request that does not arrive whole in time is closed.
  server.requestTimeout = FASTCGI_REQUEST_TIMEOUT_MS;
  server.on('connection', (conn: Socket) => {
    busy.set(conn, 0);
    conn.once('close', () => busy.delete(conn));
  });
  server.closeIdleConnections = () => {
    for (const [conn, n] of busy) if (n === 0) conn.destroy();
  };
  return server;
}
