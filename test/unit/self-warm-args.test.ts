import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selfWarmArgs } from '../../lab/measuring-clients.js';

describe('selfWarmArgs', () => {
  it('asks every measuring client to warm its own code first, whatever its event loops', () => {
    assert.deepEqual(selfWarmArgs({ warmupUsers: 2000 }), ['--self-warm-users', '2000']);
  });

  it('asks nothing of a cold measurement (--warmup-users 0)', () => {
    assert.deepEqual(selfWarmArgs({ warmupUsers: 0 }), []);
  });
});
