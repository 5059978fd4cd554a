import type { Server } from 'node:http';

/**
 * Once the server is closing, closes each kept-alive connection as soon as its answer is out.
 * server.close() drops only the connections idle at that moment; a busy one would otherwise stay
 * open after its answer until nginx's keepalive_timeout (4 s) closed it, holding up the exit.
 */
export function closeConnectionsWhenAnswered(server: Server): void {
  server.on('request', (_req, res) => {
    res.once('finish', () => {
      // The connection turns idle only after 'finish' has run; a closed server is no longer listening.
      if (!server.listening) setImmediate(() => server.closeIdleConnections());
    });
  });
}
