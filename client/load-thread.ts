// One of `benchlab load --threads N`'s event loops: a worker thread that runs its share of the
// schedule when the main thread says so, and reports its progress, its result and its own loop delay.
import { parentPort, workerData } from 'node:worker_threads';
import { LabError } from '../common/errors.js';
import { startLaunchThread } from './launch-timer.js';
import { runLoadWatched } from './load.js';
import type { LoadOptions } from './load-options.js';
import type { ToThread, FromThread } from './load-threads.js';

const port = parentPort!;
const { options, progress, selfWarmUsers, selfWarmRate } = workerData as {
  options: LoadOptions;
  progress: boolean;
  selfWarmUsers: number;
  selfWarmRate: number;
};
const abort = new AbortController();
const send = (message: FromThread) => port.postMessage(message);
/** A LabError goes to the main thread as the thread's result; anything else is a bug and ends the thread. */
function sendLabError(error: unknown): void {
  if (!(error instanceof LabError)) throw error;
  send({ type: 'error', code: error.code, message: error.message });
}

async function run(): Promise<void> {
  try {
    const watched = await runLoadWatched(options, {
      signal: abort.signal,
      ...(progress ? { onProgress: (p) => send({ type: 'progress', progress: p }) } : {}),
    });
    send({ type: 'done', ...watched });
  } catch (error) {
    sendLabError(error);
  }
  port.close();
}

port.on('message', (message: ToThread) => {
  if (message.type === 'start') void run();
  else abort.abort(new LabError('BL_ERR_INTERRUPTED', 'interrupted'));
});
// Its launch timer's thread boots now, while the run waits for its start, and the loop warms its own
// code against a stand-in (client/self-warm.ts): every loop is a fresh isolate with a JIT of its own.
if (options.closed === undefined) startLaunchThread();
async function warmThenReady(): Promise<void> {
  try {
    if (selfWarmUsers > 0) {
      const { warmClientCode } = await import('./self-warm.js');
      await warmClientCode(options, selfWarmUsers, abort.signal, selfWarmRate);
    }
    send({ type: 'ready' });
  } catch (error) {
    sendLabError(error);
    port.close();
  }
}
void warmThenReady();
