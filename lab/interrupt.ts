import { LabError } from '../common/errors.js';

// After a signal, cleanup gets this long before the lab exits regardless.
const CLEANUP_DEADLINE_MS = 20_000;

/**
 * Turns SIGINT/SIGTERM into an abort: every service the lab started is stopped, the normal
 * finally-blocks remove temp dirs, and the caller's error path reports the interruption.
 */
export function abortOnSignals(): { signal: AbortSignal; dispose(): void; interrupted(): LabError | undefined } {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (received) return;
    received = sig;
    process.stderr.write(`\nbenchlab: ${sig}: stopping every process the lab started\n`);
    controller.abort(new LabError('BL_ERR_INTERRUPTED', `interrupted by ${sig}`, 130));
    // Loaded here: a process that started none (a `benchlab load` client) need not carry child_process.
    void import('./stack/service.js').then((service) => service.stopAll(2000));
    setTimeout(() => process.exit(130), CLEANUP_DEADLINE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
    interrupted: () =>
      received ? new LabError('BL_ERR_INTERRUPTED', `interrupted by ${received}; every process the lab started was stopped`, 130) : undefined,
  };
}
