import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { warmClientCode } from '../../client/self-warm.js';

describe('warmClientCode', () => {
  it('takes every user through the measured path: the stand-in meets the contract, own post and X-Backend included', async () => {
    const result = await warmClientCode({ timeoutMs: 5000, expectBackend: 'http-prefork-fastify', checkOwnPost: true }, 300, new AbortController().signal);
    assert.equal(result.users.scheduled, 300);
    assert.deepEqual(result.errors, {}, 'no user failed a check');
    assert.equal(result.users.ok, 300);
    assert.equal(result.posts.accepted, 300);
    assert.deepEqual(result.backends, { 'http-prefork-fastify': 900 });
  });
});
