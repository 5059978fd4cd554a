import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { CoreRequest, CoreResponse, GuestbookHandler } from '../core/guestbook.js';
import type { ThreadedWorkerData } from './threaded-task.js';

export interface ThreadPool {
  handle: GuestbookHandler;
  threads: number;
  close(): Promise<void>;
}

/** The threaded model's pool: the main thread accepts and parses, these threads run the core. */
export function startThreadPool(threads: number, tasksPerThread: number, data: ThreadedWorkerData): ThreadPool {
  const pool = new Piscina<CoreRequest, CoreResponse>({
    filename: fileURLToPath(new URL('./threaded-task.js', import.meta.url)),
    minThreads: threads,
    maxThreads: threads,
    // 1: a thread serves one request at a time, as a thread-per-request server's do; more let a
    // thread take another request while one waits for the database (--thread-tasks).
    concurrentTasksPerWorker: tasksPerThread,
    // Requests queue rather than fail when every thread is busy, as a thread pool server's would.
    maxQueue: Infinity,
    idleTimeout: Infinity,
    workerData: data,
  });
  // SIGUSR2 ends one pool thread as a crash would (the lab's kill-worker fault, lab/fault-injectors.ts):
  // its requests fail, and piscina starts a thread in its place. There is no route for it on purpose.
  const endOneThread = () => void pool.threads[0]?.terminate();
  process.on('SIGUSR2', endOneThread);
  return {
    handle: (req) => pool.run(req),
    threads,
    close: () => {
      process.off('SIGUSR2', endOneThread);
      return pool.destroy();
    },
  };
}
