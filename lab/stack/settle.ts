// After a warm-up or between two rates on one running stack: an overload can leave requests queued in the app,
// whose late inserts would land in the next measurement's table and whose work would slow its users.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from './database.js';
import type { VariantStack } from './variant-stack.js';

const POLL_MS = 250;
/** /healthz through nginx answering this fast means nothing is queued in front of it. */
const IDLE_ANSWER_MS = 200;
const MAX_SETTLE_MS = 15_000;

async function answersFast(target: string): Promise<boolean> {
  const started = performance.now();
  try {
    const res = await fetch(`${target}/healthz`, { signal: AbortSignal.timeout(IDLE_ANSWER_MS * 5) });
    await res.arrayBuffer();
    return res.status === 200 && performance.now() - started < IDLE_ANSWER_MS;
  } catch {
    return false;
  }
}

/** Waits until the table stops growing and the app answers at once, or MAX_SETTLE_MS; returns the ms waited. */
export async function settle(stack: VariantStack, database: Database, signal: AbortSignal): Promise<number> {
  const started = performance.now();
  let rows = await database.countRows();
  while (!signal.aborted && performance.now() - started < MAX_SETTLE_MS) {
    await sleep(POLL_MS);
    const now = await database.countRows();
    const still = now === rows;
    rows = now;
    if (still && (await answersFast(stack.target))) break;
  }
  return Math.round(performance.now() - started);
}
