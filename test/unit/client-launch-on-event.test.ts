import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLoad } from '../../client/load.js';
import { startScenarioStub } from '../support/scenario-stub.js';

// A user due less than 2 ms ahead waits on setTimeout alone (client/launch-timer.ts). Here those
// short timeouts come 300 ms late, so a user can start on time only if the run starts it from the
// answers the loop reads anyway.
const SLOW_MS = 300;

test('a user that comes due while answers arrive starts at the next read, not at its timer', async () => {
  const stub = await startScenarioStub({ getDelayMs: 10 });
  const realSetTimeout = globalThis.setTimeout;
  const slowShortTimeouts = ((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) =>
    realSetTimeout(callback, (delay ?? 0) <= 2 ? (delay ?? 0) + SLOW_MS : delay, ...args)) as typeof setTimeout;
  globalThis.setTimeout = slowShortTimeouts;
  try {
    // Users 1 ms apart: each is due while earlier ones wait 10 ms for their pages.
    const result = await runLoad({ target: stub.url, users: 30, rampSeconds: 0.03, timeoutMs: 5_000, arrival: 'uniform', runTag: 'event' });
    assert.equal(result.users.ok, 30);
    assert.ok(result.latenessUs.max < (SLOW_MS / 3) * 1_000, `a user started ${result.latenessUs.max} µs late`);
  } finally {
    globalThis.setTimeout = realSetTimeout;
    await stub.close();
  }
});
