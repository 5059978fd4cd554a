import type { GuestbookHandler, Identity } from './core/guestbook.js';
import { removeStaleSocket } from './listen.js';
import { isNodeFramework } from './variants.js';
import type { ServeOptions } from './serve-options.js';

// Modules load where they are used: a prefork primary only forks and never loads the app, and a
// process loads only its own framework and model, which halves a prefork variant's start-up.

/** The core in this thread, or a pool of threads each running its own copy. */
async function startCore(options: ServeOptions, identity: Identity): Promise<{ handle: GuestbookHandler; close(): Promise<void> }> {
  if (options.variant.model === 'threaded') {
    const { startThreadPool } = await import('./models/threaded.js');
    return startThreadPool(options.threads, options.threadTasks, { backend: options.variant.name, databaseUrl: options.databaseUrl, dbPool: options.dbPool });
  }
  const { createEntryStore } = await import('./core/entry-store.js');
  const { createGuestbook } = await import('./core/guestbook.js');
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
  const core = await startCore(options, identity);
  const { createAppServer } = await import('./adapters/app-server.js');
  const server = await createAppServer(variant.framework, { protocol: variant.protocol, handle: core.handle, identity });
  await server.listen(options.listen, options.backlog);
  return async () => {
    await server.close();
    await core.close();
  };
}

/** `benchlab serve`: runs one variant in the foreground until SIGTERM or SIGINT. */
export async function serve(options: ServeOptions): Promise<void> {
  if (options.variant.model === 'prefork') {
    const { runPrefork } = await import('./models/prefork.js');
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
