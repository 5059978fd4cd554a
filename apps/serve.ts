import type { FastifyServerFactory } from 'fastify';
import { createFastcgiServer } from './adapters/fastcgi-server.js';
import { buildFastifyApp } from './adapters/fastify-app.js';
import { createEntryStore } from './core/entry-store.js';
import { createGuestbook, type Identity } from './core/guestbook.js';
import { listenApp, removeStaleSocket } from './models/listen-app.js';
import { runPrefork } from './models/prefork.js';
import { startThreadPool } from './models/threaded.js';
import type { ServeOptions } from './serve-options.js';

// node-fastcgi's server speaks FastCGI but hands out http.IncomingMessage/ServerResponse pairs,
// so fastify runs on it unchanged.
const fastcgiServerFactory: FastifyServerFactory = (handler) => createFastcgiServer(handler);

/** Starts one app server process (or, for prefork, one worker) and resolves to its close function. */
async function startServer(options: ServeOptions, identity: Identity): Promise<() => Promise<void>> {
  const { variant } = options;
  const serverFactory = variant.protocol === 'fastcgi' ? fastcgiServerFactory : undefined;

  if (variant.model === 'threaded') {
    const pool = startThreadPool(options.threads, {
      backend: variant.name,
      databaseUrl: options.databaseUrl,
      dbPool: options.dbPool,
    });
    const app = buildFastifyApp({ handle: pool.handle, identity, ...(serverFactory ? { serverFactory } : {}) });
    await listenApp(app, options.listen, options.backlog);
    return async () => {
      await app.close();
      await pool.close();
    };
  }

  const store = createEntryStore(options.databaseUrl, options.dbPool);
  const app = buildFastifyApp({
    handle: createGuestbook(store, identity),
    identity,
    ...(serverFactory ? { serverFactory } : {}),
  });
  await listenApp(app, options.listen, options.backlog);
  return async () => {
    await app.close();
    await store.close();
  };
}

/** `benchlab serve`: runs one variant in the foreground until SIGTERM or SIGINT. */
export async function serve(options: ServeOptions): Promise<void> {
  const identityHere = (): Identity => ({
    backend: options.variant.name,
    worker: options.variant.model === 'threaded' ? `${process.pid}:0` : String(process.pid),
  });

  if (options.variant.model === 'prefork') {
    await runPrefork({
      workers: options.workers,
      beforeFork: () => removeStaleSocket(options.listen),
      startWorker: () => startServer(options, identityHere()),
    });
    return;
  }

  removeStaleSocket(options.listen);
  const close = await startServer(options, identityHere());
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
