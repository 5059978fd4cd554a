import { createAppServer } from './adapters/app-server.js';
import { createEntryStore } from './core/entry-store.js';
import { createGuestbook, type GuestbookHandler, type Identity } from './core/guestbook.js';
import { runPrefork } from './models/prefork.js';
import { startThreadPool } from './models/threaded.js';
import { removeStaleSocket } from './listen.js';
import { isNodeFramework } from './variants.js';
import type { ServeOptions } from './serve-options.js';

/** The core in this thread, or a pool of threads each running its own copy. */
function startCore(options: ServeOptions, identity: Identity): { handle: GuestbookHandler; close(): Promise<void> } {
  if (options.variant.model === 'threaded') {
    return startThreadPool(options.threads, { backend: options.variant.name, databaseUrl: options.databaseUrl, dbPool: options.dbPool });
  }
  const store = createEntryStore(options.databaseUrl, options.dbPool);
  return { handle: createGuestbook(store, identity), close: () => store.close() };
}

/** Starts one app server process (or, for prefork, one worker) and resolves to its close function. */
async function startServer(options: ServeOptions): Promise<() => Promise<void>> {
  const { variant } = options;
  if (!isNodeFramework(variant.framework)) throw new Error(`${variant.name} is not served by benchlab serve`);
  const identity: Identity = {
    backend: variant.name,
    worker: variant.model === 'threaded' ? `${process.pid}:0` : String(process.pid),
  };
  const core = startCore(options, identity);
  const server = createAppServer(variant.framework, { protocol: variant.protocol, handle: core.handle, identity });
  await server.listen(options.listen, options.backlog);
  return async () => {
    await server.close();
    await core.close();
  };
}

/** `benchlab serve`: runs one variant in the foreground until SIGTERM or SIGINT. */
export async function serve(options: ServeOptions): Promise<void> {
  if (options.variant.model === 'prefork') {
    await runPrefork({
      workers: options.workers,
      beforeFork: () => removeStaleSocket(options.listen),
      startWorker: () => startServer(options),
    });
    return;
  }

  removeStaleSocket(options.listen);
  const close = await startServer(options);
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
