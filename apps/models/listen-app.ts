import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ListenAddress } from '../listen.js';

/** Starts listening; a unix socket is opened to all, since nginx's workers run as another user. */
export async function listenApp(app: FastifyInstance, address: ListenAddress, backlog: number): Promise<void> {
  if ('path' in address) {
    await app.listen({ path: address.path, backlog });
    fs.chmodSync(address.path, 0o777);
  } else {
    await app.listen({ host: address.host, port: address.port, backlog });
  }
}

/** Removes a socket file left by a server that died, so listen() does not fail with EADDRINUSE. */
export function removeStaleSocket(address: ListenAddress): void {
  if ('path' in address) fs.rmSync(address.path, { force: true });
}
