import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selfWarmArgs } from '../../lab/measuring-clients.js';

const loadArgs = ['--users', '4000', '--ramp', '10'];

describe('selfWarmArgs', () => {
  it('asks a measuring client with one event loop to warm its own code first', () => {
    assert.deepEqual(selfWarmArgs({ warmupUsers: 2000 }, loadArgs), ['--self-warm-users', '2000']);
  });

  it('asks nothing of a cold measurement (--warmup-users 0) or of a client with several event loops', () => {
    assert.deepEqual(selfWarmArgs({ warmupUsers: 0 }, loadArgs), []);
    assert.deepEqual(selfWarmArgs({ warmupUsers: 2000 }, [...loadArgs, '--threads', '4']), []);
  });
});
