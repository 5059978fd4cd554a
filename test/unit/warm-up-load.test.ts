import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { leadIn, warmUntilSteady } from '../../lab/warm-up.js';
import { startScenarioStub, type ScenarioStub } from '../support/scenario-stub.js';

// The warm-up against an in-process stub; the "app" whose CPU it reads is this test's own process.
describe('the warm-up load', () => {
  let stub: ScenarioStub;
  before(async () => {
    stub = await startScenarioStub();
  });
  after(() => stub.close());

  const stack = { app: { pid: process.pid } };
  const base = () => ({ target: stub.url, variant: 'stub', timeoutMs: 5000, checkOwnPost: true });
  const posts = (tag: string) => stub.rows.filter((body) => body.startsWith(`bl:${tag}:`)).length;

  test('a warm-up that settled keeps its load going until released, and no user starts after that', { timeout: 30_000 }, async () => {
    // Any tolerance this wide settles on the third reading of each part.
    const settings = { rate: 100, minUsers: 100, maxRounds: 5, maxSlices: 5, tolerance: 100 };
    const warm = await warmUntilSteady(stack, base(), settings, 'keep', new AbortController().signal, true);
    assert.equal(warm.record.rounds.length, 3, 'three rounds agree');
    assert.equal(warm.record.slices?.length, 3, 'three seconds of the continuous load agree');
    assert.equal(warm.record.steady, true);
    assert.equal(warm.keptWarm, true);
    for (const slice of warm.record.slices ?? []) {
      assert.ok(slice.users >= 85 && slice.users <= 115, `about a second's users per slice (${slice.users})`);
      assert.ok(slice.cpuMsPerUser !== null && slice.cpuMsPerUser > 0, 'a CPU figure per user');
      // The stub names three workers in turn, so the busiest served about a third of the second's responses.
      assert.ok(slice.busiestShare !== undefined && slice.busiestShare > 0.3 && slice.busiestShare < 0.4, `busiest share ${slice.busiestShare}`);
    }
    const atReturn = posts('keep');
    await sleep(500);
    const later = posts('keep');
    assert.ok(later >= atReturn + 30, `the load went on after the warm-up returned (${atReturn} → ${later} posts in 0.5 s)`);
    await warm.release();
    const atRelease = posts('keep');
    await sleep(300);
    assert.equal(posts('keep'), atRelease, 'released: no user started, none was left in flight');
  });

  test('without keepGoing the load has ended when the warm-up returns, settled or not', { timeout: 30_000 }, async () => {
    const signal = new AbortController().signal;
    const settled = await warmUntilSteady(stack, base(), { rate: 100, minUsers: 100, maxRounds: 5, maxSlices: 5, tolerance: 100 }, 'ends', signal);
    assert.equal(settled.keptWarm, false);
    // No tolerance: readings never agree exactly, so the continuous part runs its two seconds out.
    const unsettled = await warmUntilSteady(stack, base(), { rate: 100, minUsers: 100, maxRounds: 3, maxSlices: 2, tolerance: 0 }, 'runs-out', signal);
    assert.equal(unsettled.keptWarm, false);
    assert.equal(unsettled.record.steady, false);
    assert.equal(unsettled.record.rounds.length, 3, 'the rounds ran out');
    assert.equal(unsettled.record.slices?.length, 2, 'so did the seconds');
    const atReturn = posts('ends') + posts('runs-out');
    await sleep(300);
    assert.equal(posts('ends') + posts('runs-out'), atReturn, 'nothing runs after the warm-up returned');
  });

  test('when its seconds run out unsettled, a load that kept up goes on until released, one that did not has ended', { timeout: 30_000 }, async () => {
    const signal = new AbortController().signal;
    // No tolerance: readings never agree exactly, so the continuous part runs its two seconds out.
    const settings = { rate: 100, minUsers: 100, maxRounds: 3, maxSlices: 2, tolerance: 0 };
    const kept = await warmUntilSteady(stack, base(), settings, 'kept-up', signal, true);
    assert.equal(kept.record.steady, false, 'not settled');
    assert.equal(kept.record.slices?.length, 2);
    assert.equal(kept.keptWarm, true, 'it kept up, so it hands over running');
    const atReturn = posts('kept-up');
    await sleep(500);
    assert.ok(posts('kept-up') >= atReturn + 30, `the load went on (${atReturn} → ${posts('kept-up')} posts in 0.5 s)`);
    await kept.release();

    // Every GET held 300 ms: about 60 users in flight at 100 users/s, more than a tenth of a second's
    // arrivals (behind) and less than a second's (no queue to abandon).
    const behind = await startScenarioStub({ getDelayMs: 300 });
    try {
      const lagging = await warmUntilSteady(stack, { ...base(), target: behind.url }, settings, 'behind', signal, true);
      assert.equal(lagging.record.steady, false);
      assert.equal(lagging.record.slices?.length, 2, 'its seconds ran out');
      assert.ok(
        lagging.record.slices!.every((slice) => (slice.inFlight ?? 0) > 10),
        `behind in every second (${JSON.stringify(lagging.record.slices)})`,
      );
      assert.equal(lagging.keptWarm, false, 'it did not keep up, so it ended');
      const atEnd = behind.rows.length;
      await sleep(300);
      assert.equal(behind.rows.length, atEnd, 'nothing runs after the warm-up returned');
    } finally {
      await behind.close();
    }
  });

  test('a rate above the base one is reached through rounds at the base rate first', { timeout: 30_000 }, async () => {
    const warm = await warmUntilSteady(
      stack,
      base(),
      { rate: 250, minUsers: 100, maxRounds: 5, maxSlices: 5, tolerance: 100 },
      'two-rates',
      new AbortController().signal,
    );
    assert.deepEqual(
      warm.record.rounds.map((r) => [r.rate, r.users]),
      [
        [200, 200],
        [200, 200],
        [200, 200],
        [250, 250],
        [250, 250],
        [250, 250],
      ],
      'three agreeing rounds at 200 users/s, then three at 250',
    );
    assert.equal(warm.record.rate, 250);
  });

  test('a continuous load that queues drains and starts again, and the record says so', { timeout: 30_000 }, async () => {
    // A stub that answers every GET 3 s late for its first 2.5 s: the first attempt's users pile up.
    const slowUntil = Date.now() + 2500;
    const slow = await startScenarioStub({ getDelayMs: () => (Date.now() < slowUntil ? 3000 : 0) });
    try {
      const settings = { rate: 100, minUsers: 100, maxRounds: 5, maxSlices: 5, tolerance: 100 };
      const lead = await leadIn(
        stack,
        { target: slow.url, variant: 'stub', timeoutMs: 10_000, checkOwnPost: true, runTag: 'again' },
        settings,
        new AbortController().signal,
      );
      assert.equal(lead.record.queuedAttempts?.length, 1, `one attempt queued (${JSON.stringify(lead.record.queuedAttempts)})`);
      assert.ok(lead.record.queuedAttempts![0]! > 100, 'it ended with more than a second of arrivals in flight');
      assert.equal(lead.queued, undefined, 'the attempt that counts did not queue');
      assert.equal(lead.keptWarm, true, 'the second attempt settled and keeps going');
      assert.equal(lead.record.slices?.length, 3, "the record's seconds are the second attempt's");
      await lead.release();
    } finally {
      await slow.close();
    }
  });
});
