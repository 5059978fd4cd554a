import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkThreads, shareOf, threadOptions } from '../../client/load-threads.js';
import { arrivalSchedule } from '../../client/arrival-schedule.js';
import { validateLoadOptions, type LoadOptions } from '../../client/load-options.js';
import { optionFailure } from '../support/option-failure.js';
import { measuringProcesses } from '../../lab/measuring-clients.js';

const base = (extra: Record<string, unknown> = {}): LoadOptions =>
  validateLoadOptions({ target: 'http://127.0.0.1:8080', users: 103, rampSeconds: 10, runTag: 'run-tag', ...extra });

/** The schedule's indices a shard takes, as runLoad filters them. */
function indices(options: LoadOptions): number[] {
  const all = arrivalSchedule({ users: options.users, rampSeconds: options.rampSeconds, arrival: options.arrival, seed: options.seed });
  const { index, count } = options.shard ?? { index: 0, count: 1 };
  return [...all.keys()].filter((i) => i % count === index);
}

describe('the event loops of one client process', () => {
  it('take every N-th arrival of the process: together exactly its users, each once', () => {
    for (const [process, threads] of [
      [undefined, 4],
      ['1/3', 2],
      ['2/3', 5],
    ] as const) {
      const options = base(process === undefined ? {} : { shard: process });
      const mine = indices(options);
      const byThread = Array.from({ length: threads }, (_, j) => indices(threadOptions(options, threads, j)));
      assert.deepEqual(
        byThread.flat().sort((x, y) => x - y),
        mine,
        `process ${process ?? 'alone'}, ${threads} threads`,
      );
      // Arrival k of the process goes to thread k mod N: the threads' counts differ by one at most.
      for (const [j, part] of byThread.entries())
        assert.deepEqual(
          part,
          mine.filter((_, k) => k % threads === j),
        );
    }
  });

  it('split a closed pool and an in-flight cap so that they add up to the whole process', () => {
    const closed = base({ closed: { connections: 10, durationSeconds: 5 }, maxActive: 7 });
    const parts = [0, 1, 2].map((j) => threadOptions(closed, 3, j));
    assert.deepEqual(
      parts.map((p) => p.closed!.connections),
      [4, 3, 3],
    );
    assert.deepEqual(
      parts.map((p) => p.maxActive),
      [3, 2, 2],
    );
    assert.ok(parts.every((p) => p.closed!.durationSeconds === 5 && p.shard === undefined));
    assert.deepEqual(
      [0, 1, 2, 3].map((j) => shareOf(6, 4, j)),
      [2, 2, 1, 1],
    );
  });

  it('tag their posts apart, within the 32 characters a tag may have', () => {
    const long = base({ runTag: 'x'.repeat(32) });
    const tags = Array.from({ length: 64 }, (_, j) => threadOptions(long, 64, j).runTag!);
    assert.equal(new Set(tags).size, 64);
    assert.ok(
      tags.every((t) => t.length <= 32 && /^[A-Za-z0-9._-]+$/.test(t)),
      tags.join(' '),
    );
  });

  it('are refused when a thread would have no user or no slot', () => {
    optionFailure(() => checkThreads(base({ users: 3, rampSeconds: 1 }), 4), /^option --threads is 4, more than this client's 3 users/);
    optionFailure(() => checkThreads(base({ users: 10, shard: '0/4' }), 4), /more than this client's 3 users/);
    optionFailure(() => checkThreads(base({ closed: { connections: 2, durationSeconds: 1 } }), 3), /more than --connections 2/);
    optionFailure(() => checkThreads(base({ maxActive: 2 }), 3), /more than --max-active 2/);
    optionFailure(() => checkThreads(base(), 65), /must be an integer from 1 to 64/);
    checkThreads(base(), 64);
  });
});

describe('the client processes of a measurement', () => {
  it('never outnumber the users, the closed pool or the in-flight slots they share', () => {
    const run = { clientProcs: 4, closed: undefined, maxActive: undefined };
    assert.equal(measuringProcesses(run, 4000), 4);
    assert.equal(measuringProcesses(run, 3), 3);
    assert.equal(measuringProcesses({ ...run, closed: { connections: 1, durationSeconds: 5 } }, 4000), 1, 'a pool of one connection is one process');
    assert.equal(measuringProcesses({ ...run, maxActive: 2 }, 4000), 2, 'two slots are two processes of one slot each');
    // With as many processes as slots, each process's share is at least one.
    for (const [pool, procs] of [
      [1, 2],
      [5, 2],
      [3, 8],
    ] as const) {
      const count = measuringProcesses({ clientProcs: procs, closed: { connections: pool, durationSeconds: 1 }, maxActive: undefined }, 4000);
      assert.ok(
        Array.from({ length: count }, (_, k) => shareOf(pool, count, k)).every((share) => share >= 1),
        `${pool} connections over ${procs} processes`,
      );
    }
  });
});
