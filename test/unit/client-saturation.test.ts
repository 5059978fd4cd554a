import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoad } from '../../client/load.js';
import { startScenarioStub, type ScenarioStub } from '../support/scenario-stub.js';
import type { LoadResult } from '../../common/result.js';

function addsUp(r: LoadResult): void {
  assert.equal(r.users.ok + r.users.failed + r.users.notStarted, r.users.scheduled, 'ok + failed + not started = scheduled');
}

describe('the in-flight cap and the closed model', () => {
  let stub: ScenarioStub;
  before(async () => {
    stub = await startScenarioStub({ getDelayMs: 20 });
  });
  after(() => stub.close());

  const base = () => ({ target: stub.url, timeoutMs: 5000, arrival: 'uniform' as const, checkOwnPost: false });

  test('drop: arrivals beyond the cap are failed users of their own class, never started', async () => {
    const r = await runLoad({ ...base(), users: 100, rampSeconds: 0.2, maxActive: 3, onSaturation: 'drop' });
    addsUp(r);
    assert.ok(r.users.dropped! > 0, `some were dropped (${r.users.dropped})`);
    assert.equal(r.users.notStarted, 0, 'nothing interrupted the run');
    assert.equal(r.errors['dropped'], r.users.dropped, 'each dropped user is a failed user of class dropped');
    assert.equal(r.users.failed, r.users.dropped);
    assert.equal(
      r.timeline.reduce((sum, s) => sum + s.errors, 0),
      r.users.failed,
      'the timeline counts them as errors in the second they were turned away',
    );
    assert.ok(r.users.peakInFlight! <= 3);
    assert.equal(r.users.waited, 0);
  });

  test('wait: arrivals beyond the cap start later, and the wait is in their response time, not their service time', async () => {
    const r = await runLoad({ ...base(), users: 60, rampSeconds: 0.2, maxActive: 2, onSaturation: 'wait' });
    addsUp(r);
    assert.equal(r.users.ok, 60);
    assert.ok(r.users.waited! > 0, 'some users waited for a slot');
    assert.ok(r.users.peakInFlight! <= 2);
    assert.ok(
      r.stepTimeUs.get.p99 > r.serviceTimeUs!.get.p99 + 20_000,
      `response p99 ${r.stepTimeUs.get.p99} µs holds the wait, service p99 ${r.serviceTimeUs!.get.p99} µs does not`,
    );
    assert.ok(r.latenessUs.p99 > 20_000, 'lateness shows the wait');
  });

  test('closed: a fixed number of users for the duration, each timed from its own start', async () => {
    const r = await runLoad({ ...base(), users: 1, rampSeconds: 0, closed: { connections: 4, durationSeconds: 0.5 } });
    addsUp(r);
    assert.equal(r.users.peakInFlight, 4);
    assert.ok(r.users.scheduled > 8, `users kept coming (${r.users.scheduled})`);
    assert.equal(r.options.mode, 'closed');
    assert.equal(r.options.users, r.users.scheduled);
    assert.ok(r.latenessUs.max < 5_000, 'a closed-model user starts when its slot frees, so it is never late');
  });

  test('finish: no more users start once it fires; those in flight finish and count, and the result says how many started', async () => {
    const finish = new AbortController();
    let firedAtStarted = -1;
    let inFlightWhenFired = 0;
    // 20 ms per GET: at 200 users/s for 5 s several users are in flight whenever the progress report comes.
    const r = await runLoad(
      { ...base(), users: 1000, rampSeconds: 5 },
      {
        finish: finish.signal,
        onProgress: (p) => {
          if (finish.signal.aborted) return;
          firedAtStarted = p.started;
          inFlightWhenFired = p.inFlight;
          finish.abort();
        },
      },
    );
    addsUp(r);
    assert.ok(inFlightWhenFired > 0, `users were in flight when it fired (${inFlightWhenFired})`);
    assert.ok(firedAtStarted > 100 && firedAtStarted < 400, `it fired after about a second (${firedAtStarted} started)`);
    assert.equal(r.users.scheduled, firedAtStarted, 'the users started before it fired are the run');
    assert.equal(r.users.ok, firedAtStarted, 'every one in flight finished, none was failed');
    assert.equal(r.users.notStarted, 0);
    assert.ok(r.durationSeconds < 2, `it ended soon after, not after the 5-s ramp (${r.durationSeconds} s)`);
  });

  test('service time never exceeds response time', async () => {
    const r = await runLoad({ ...base(), users: 40, rampSeconds: 0.2 });
    for (const step of ['get', 'post', 'redirect'] as const) {
      assert.ok(r.serviceTimeUs![step].p50 <= r.stepTimeUs[step].p50, step);
      assert.equal(r.serviceTimeUs![step].count, r.stepTimeUs[step].count, step);
    }
  });
});
