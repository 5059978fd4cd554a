// One of `benchlab load --threads N`'s event loops: a worker thread that runs its share of the
// schedule when the main thread says so, and reports its progress, its result and its own loop delay.
import { parentPort, workerData } from 'node:worker_threads';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LabError } from '../lab/errors.js';
import { runLoad } from './load.js';
import type { LoadOptions } from './load-options.js';
import type { ToThread, FromThread } from './load-threads.js';

const LOOP_DELAY_RESOLUTION_MS = 10;

const port = parentPort!;
const { options, progress } = workerData as { options: LoadOptions; progress: boolean };
const abort = new AbortController();
const send = (message: FromThread) => port.postMessage(message);

async function run(): Promise<void> {
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  try {
    const result = await runLoad(options, {
      signal: abort.signal,
      ...(progress ? { onProgress: (p) => send({ type: 'progress', progress: p }) } : {}),
    });
    loopDelay.disable();
    send({ type: 'done', result, eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6, eventLoopDelayMaxMs: loopDelay.max / 1e6 });
  } catch (error) {
    if (!(error instanceof LabError)) throw error;
    send({ type: 'error', code: error.code, message: error.message });
  }
  port.close();
}

port.on('message', (message: ToThread) => {
  if (message.type === 'start') void run();
  else abort.abort(new LabError('BL_ERR_INTERRUPTED', 'interrupted'));
});
send({ type: 'ready' });
