import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const require = createRequire(import.meta.url);
const fcgi = require('node-fastcgi') as {
  createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server;
};

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
    // node-fastcgi's req.socket is a per-request stand-in; _conn is the real connection.
    const conn = (req.socket as unknown as { _conn: Socket })._conn;
    busy.set(conn, (busy.get(conn) ?? 0) + 1);
    res.once('close', () => busy.set(conn, (busy.get(conn) ?? 1) - 1));
    handler(req, res);
  });
  server.on('connection', (conn: Socket) => {
    busy.set(conn, 0);
    conn.once('close', () => busy.delete(conn));
  });
  server.closeIdleConnections = () => {
    for (const [conn, n] of busy) if (n === 0) conn.destroy();
  };
  return server;
}
