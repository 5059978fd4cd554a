import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selfWarmArgs } from '../../lab/measuring-clients.js';
import type { RunOptions } from '../../lab/run-options.js';

const load = { users: 4000, rampSeconds: 10, label: 'prefork' };
const options = (o: Partial<RunOptions>): RunOptions => ({ arrival: 'uniform', clientThreads: 1, warmupUsers: 2000, ...o }) as RunOptions;

describe('selfWarmArgs', () => {
  it('asks a measuring client with one event loop to warm its own code first', () => {
    assert.deepEqual(selfWarmArgs('http://127.0.0.1:8080', load, options({}), 1, 0), ['--self-warm-users', '2000']);
  });

  it('asks nothing of a cold measurement (--warmup-users 0) or of a client with several event loops', () => {
    assert.deepEqual(selfWarmArgs('http://127.0.0.1:8080', load, options({ warmupUsers: 0 }), 1, 0), []);
    assert.deepEqual(selfWarmArgs('http://127.0.0.1:8080', load, options({ clientThreads: 4 }), 1, 0), []);
  });
});
