import cluster, { type Worker } from 'node:cluster';

// A worker that dies is replaced, but a crash loop must not spin forever.
const MAX_RESTARTS_PER_MINUTE = 30;

export interface PreforkOptions {
  workers: number;
  /** Runs in each worker process; resolves to the function that closes it. */
  startWorker: () => Promise<() => Promise<void>>;
  /** Runs once in the primary before any worker starts. */
  beforeFork?: () => void;
}

/** gunicorn's model on node:cluster: a primary that forks N workers sharing one listening socket. */
export async function runPrefork(options: PreforkOptions): Promise<void> {
  if (cluster.isWorker) {
    const close = await options.startWorker();
    process.once('SIGTERM', () => {
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    process.once('SIGINT', () => process.exit(0));
    return;
  }

  options.beforeFork?.();
  let stopping = false;
  const restarts: number[] = [];
  const fork = (): Worker => cluster.fork();

  let started = false;
  let startupFailed: ((reason: Error) => void) | undefined;
  // Workers that have listened: one of them that dies while the others still start is replaced like
  // any other (killing the first worker while the second still loaded once stopped the whole server).
  const listened = new Set<number>();
  cluster.on('listening', (worker) => listened.add(worker.id));

  cluster.on('exit', (worker, code, signal) => {
    const hadListened = listened.delete(worker.id);
    if (stopping || code === 0) return;
    if (!started && !hadListened) {
      // A worker that cannot even start would fail the same way again: stop instead of looping.
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      startupFailed?.(new Error(`worker ${worker.process.pid} exited during start-up (${signal ?? `code ${code}`})`));
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts.length && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      console.error(`benchlab serve: workers keep dying (last: pid ${worker.process.pid}, ${signal ?? code}); giving up`);
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      process.exitCode = 1;
      return;
    }
    fork();
  });

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    if (workers.length === 0) process.exit(0);
    // Workers close their servers on SIGTERM and exit; the primary follows the last one.
    let left = workers.length;
    for (const w of workers) {
      w.once('exit', () => {
        if (--left === 0) process.exit(0);
      });
      w.process.kill('SIGTERM');
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  const ready: Promise<void>[] = [
    new Promise<void>((_resolve, reject) => {
      startupFailed = reject;
    }),
  ];
  const listening: Promise<void>[] = [];
  for (let i = 0; i < options.workers; i++) {
    const w = fork();
    listening.push(new Promise((resolve) => w.once('listening', () => resolve())));
  }
  await Promise.race([Promise.all(listening), ...ready]);
  started = true;
}
