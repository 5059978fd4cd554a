// Waits until a target answers its health check, for clients started next to the server they measure
// (compose, a Swarm) rather than by the lab, which checks the stack itself.
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../common/errors.js';

const POLL_INTERVAL_MS = 500;
const REQUEST_TIMEOUT_MS = 2_000;

/** Polls `<target>/healthz` until it answers 200, for at most timeoutMs. */
export async function waitForTarget(target: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const url = new URL('/healthz', target).href;
  const deadlineMs = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      last = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
    }
    if (Date.now() + POLL_INTERVAL_MS > deadlineMs) {
      throw new LabError('BL_ERR_TARGET', `${url} did not answer 200 within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
    }
    await sleep(POLL_INTERVAL_MS, undefined, { signal });
  }
}
