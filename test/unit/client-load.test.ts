import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLoad } from '../../client/load.js';
import type { LoadOptions, LoadProgress } from '../../client/load.js';
import type { LoadResult } from '../../common/result.js';
import { startScenarioStub } from '../support/scenario-stub.js';
import type { ScenarioStub, StubMisbehaviour } from '../support/scenario-stub.js';

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((total, n) => total + n, 0);
/** The user index inside a posted marker text. */
const userOf = (body: string): number => Number(/^bl:[^:]+:(\d+) /.exec(body)?.[1] ?? -1);

/** Counts that must add up in every result, whatever went wrong. */
function assertConsistent(result: LoadResult): void {
  const { scheduled, ok, failed, notStarted } = result.users;
  assert.equal(ok + failed + notStarted, scheduled, 'ok + failed + notStarted = scheduled');
  assert.equal(sum(result.errors), failed, 'errors by class add up to failed users');
  assert.equal(result.posts.acceptedMarkers.length, result.posts.accepted, 'one marker per accepted post');
  assert.equal(new Set(result.posts.acceptedMarkers).size, result.posts.accepted, 'markers are unique');
  assert.equal(sum(result.requests.byStatus), result.requests.total, 'requests by status add up');
  assert.equal(result.sessionTimeUs.count, ok, 'one user time per ok user');
  assert.equal(result.latenessUs.count, scheduled - notStarted, 'one lateness per started user');
  const timeline = result.timeline;
  assert.equal(
    timeline.reduce((n, s) => n + s.arrivals, 0),
    scheduled - notStarted,
  );
  assert.equal(
    timeline.reduce((n, s) => n + s.completions, 0),
    ok,
  );
  assert.equal(
    timeline.reduce((n, s) => n + s.errors, 0),
    failed,
  );
  for (const [i, second] of timeline.entries()) assert.equal(second.second, i);
}

async function withStub(misbehaviour: StubMisbehaviour, body: (stub: ScenarioStub) => Promise<void>): Promise<void> {
  const stub = await startScenarioStub(misbehaviour);
  try {
    await body(stub);
  } finally {
    await stub.close();
  }
}

const small = (target: string, extra: Partial<LoadOptions> = {}): LoadOptions => ({
  target,
  users: 30,
  rampSeconds: 0.5,
  timeoutMs: 2_000,
  arrival: 'uniform',
  runTag: 'test',
  ...extra,
});

describe('runLoad against the scenario stub', () => {
  it('replays GET, POST, redirect for every user of a healthy target', () =>
    withStub({}, async (stub) => {
      const result = await runLoad(small(stub.url, { variant: 'stub-variant' }));
      assertConsistent(result);
      assert.equal(result.variant, 'stub-variant');
      assert.deepEqual(result.users, { scheduled: 30, ok: 30, failed: 0, notStarted: 0, peakInFlight: result.users.peakInFlight });
      assert.ok(result.users.peakInFlight! >= 1 && result.users.peakInFlight! <= 30);
      assert.deepEqual(result.errors, {});
      assert.deepEqual(result.requests, { total: 90, byStatus: { '200': 60, '302': 30 } });
      assert.deepEqual([...result.posts.acceptedMarkers].sort(), [...stub.rows].sort());
      assert.equal(result.posts.indeterminate, 0);
      assert.equal(result.posts.pushedOut, 0);
      assert.ok(
        stub.rows.every((row) => row.includes(`héllo мир 世界 <b>&"'`)),
        'the text arrives intact',
      );
      assert.deepEqual(result.backends, { stub: 90 });
      assert.equal(Object.keys(result.workers).length, 3);
      assert.equal(sum(result.workers), 90);
      for (const step of ['get', 'post', 'redirect'] as const) assert.equal(result.stepTimeUs[step].count, 30);
      assert.ok(result.sessionTimeUs.min >= result.stepTimeUs.get.min);
      assert.ok(result.sessionTimeUs.max < 2_000_000);
      assert.ok(result.durationSeconds >= 0.45 && result.durationSeconds < 5, `${result.durationSeconds} s`);
      assert.deepEqual(result.options, { users: 30, rampSeconds: 0.5, timeoutMs: 2_000, arrival: 'uniform' });
      assert.ok(!Number.isNaN(Date.parse(result.startedAt)));
    }));

  it('runs a Poisson schedule and a zero ramp', () =>
    withStub({}, async (stub) => {
      const poisson = await runLoad(small(stub.url, { arrival: 'poisson', seed: 5 }));
      assertConsistent(poisson);
      assert.equal(poisson.users.ok, 30);
      const burst = await runLoad(small(stub.url, { rampSeconds: 0, runTag: 'burst' }));
      assertConsistent(burst);
      assert.equal(burst.users.ok, 30);
      assert.equal(burst.timeline[0]?.arrivals, 30);
    }));

  it('reconnects when the server closes the connection after every response', () =>
    withStub({ closeEveryConnection: true }, async (stub) => {
      const result = await runLoad(small(stub.url));
      assertConsistent(result);
      assert.equal(result.users.ok, 30);
      assert.equal(stub.rows.length, 30);
    }));

  it('counts a 502 answer to the POST as http-502, not as an accepted post', () =>
    withStub({ postStatus: (body) => (userOf(body) % 3 === 0 ? 502 : undefined) }, async (stub) => {
      const result = await runLoad(small(stub.url));
      assertConsistent(result);
      assert.deepEqual(result.errors, { 'http-502': 10 });
      assert.equal(result.users.ok, 20);
      assert.equal(result.posts.accepted, 20);
      assert.equal(result.posts.indeterminate, 0);
      assert.equal(result.requests.byStatus['502'], 10);
      assert.equal(stub.rows.length, 20);
    }));

  it('counts a connection dropped after the POST as reset, and the post as indeterminate', () =>
    withStub({ dropPost: (body) => userOf(body) % 5 === 0 }, async (stub) => {
      const result = await runLoad(small(stub.url));
      assertConsistent(result);
      assert.deepEqual(result.errors, { reset: 6 });
      assert.equal(result.posts.indeterminate, 6);
      assert.equal(result.posts.accepted, 24);
      assert.equal(result.requests.byStatus.reset, 6);
    }));

  it('times out a POST answered too late; its row exists but the post stays indeterminate', () =>
    withStub({ postDelayMs: (body) => (userOf(body) % 10 === 0 ? 1_500 : 0) }, async (stub) => {
      const result = await runLoad(small(stub.url, { timeoutMs: 200 }));
      assertConsistent(result);
      assert.deepEqual(result.errors, { timeout: 3 });
      assert.equal(result.posts.indeterminate, 3);
      assert.equal(result.posts.accepted, 27);
      assert.equal(stub.rows.length, 30);
    }));

  it('times out a slow page, counting the request under its class', () =>
    withStub({ getDelayMs: 400 }, async (stub) => {
      const started = performance.now();
      const result = await runLoad(small(stub.url, { users: 5, rampSeconds: 0.1, timeoutMs: 100 }));
      assertConsistent(result);
      assert.deepEqual(result.errors, { timeout: 5 });
      assert.deepEqual(result.requests.byStatus, { timeout: 5 });
      assert.ok(performance.now() - started < 400, 'the client does not wait for the late answers');
    }));

  it('fails a user whose post is missing from a page that is not full: content', () =>
    withStub({ hidePosts: true }, async (stub) => {
      const result = await runLoad(small(stub.url));
      assertConsistent(result);
      assert.deepEqual(result.errors, { content: 30 });
      assert.equal(result.posts.accepted, 30);
      assert.equal(result.stepTimeUs.redirect.count, 0);
    }));

  it('accepts a post pushed off a full page, and counts it', () =>
    withStub({ hidePosts: true, prefill: 25 }, async (stub) => {
      const result = await runLoad(small(stub.url));
      assertConsistent(result);
      assert.equal(result.users.ok, 30);
      assert.equal(result.posts.pushedOut, 30);
    }));

  it('skips the own-post check when asked to', () =>
    withStub({ hidePosts: true }, async (stub) => {
      const result = await runLoad(small(stub.url, { checkOwnPost: false }));
      assertConsistent(result);
      assert.equal(result.users.ok, 30);
      assert.equal(result.posts.pushedOut, 0);
    }));

  it('fails every user answered by another backend than expected: wrong-backend', () =>
    withStub({ backend: 'fastcgi/threaded' }, async (stub) => {
      const wrong = await runLoad(small(stub.url, { expectBackend: 'http/prefork' }));
      assertConsistent(wrong);
      assert.deepEqual(wrong.errors, { 'wrong-backend': 30 });
      assert.deepEqual(wrong.backends, { 'fastcgi/threaded': 30 });
      assert.equal(wrong.posts.accepted, 0);
      const right = await runLoad(small(stub.url, { expectBackend: 'fastcgi/threaded' }));
      assert.equal(right.users.ok, 30);
    }));

  it('classifies a closed port as refused', async () => {
    const stub = await startScenarioStub();
    await stub.close();
    const result = await runLoad(small(stub.url, { users: 5, rampSeconds: 0.05 }));
    assertConsistent(result);
    assert.deepEqual(result.errors, { refused: 5 });
    assert.deepEqual(result.requests.byStatus, { refused: 5 });
    assert.deepEqual(result.backends, {});
  });

  it('on abort, fails users in flight as aborted and leaves the rest not started', () =>
    withStub({ getDelayMs: 150 }, async (stub) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const result = await runLoad(small(stub.url, { users: 40, rampSeconds: 1 }), { signal: controller.signal });
      assertConsistent(result);
      assert.ok(result.users.notStarted > 10, `notStarted ${result.users.notStarted}`);
      assert.ok((result.errors.aborted ?? 0) > 0, JSON.stringify(result.errors));
      assert.ok(result.durationSeconds < 0.6);

      const early = new AbortController();
      early.abort();
      const none = await runLoad(small(stub.url), { signal: early.signal });
      assertConsistent(none);
      assert.deepEqual(none.users, { scheduled: 30, ok: 0, failed: 0, notStarted: 30, peakInFlight: 0 });
      assert.equal(none.requests.total, 0);
    }));

  it('measures users from their scheduled start, so a late client cannot hide slowness', () =>
    withStub({}, async (stub) => {
      const running = runLoad(small(stub.url, { users: 10, rampSeconds: 0.2 }));
      const blockedUntil = performance.now() + 300;
      while (performance.now() < blockedUntil) {
        // The client's own event loop is stuck: users due meanwhile start late.
      }
      const result = await running;
      assertConsistent(result);
      assert.equal(result.users.ok, 10);
      assert.ok(result.latenessUs.max >= 100_000, `lateness max ${result.latenessUs.max} µs`);
      assert.ok(result.sessionTimeUs.max >= result.latenessUs.max, 'user time includes the lateness');
      assert.ok(result.stepTimeUs.get.max >= result.latenessUs.max, 'the first step counts from the scheduled start');
    }));

  it('reports progress, the last report when every user has finished', () =>
    withStub({}, async (stub) => {
      const reports: LoadProgress[] = [];
      await runLoad(small(stub.url, { users: 10, rampSeconds: 0.1 }), { onProgress: (p) => reports.push(p) });
      const last = reports.at(-1);
      assert.ok(last);
      assert.deepEqual(
        { ...last, elapsedSeconds: 0, workers: undefined },
        { elapsedSeconds: 0, scheduled: 10, started: 10, ok: 10, failed: 0, inFlight: 0, workers: undefined },
      );
      // The stub names three workers in turn: 30 responses, 10 each.
      assert.deepEqual(Object.values(last.workers ?? {}), [10, 10, 10], 'the responses per X-Worker so far');
    }));
});
