import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from 'undici';
import { classifyError, RequestDeadlineError, RunAbortedError, ScenarioCheckError } from '../../client/error-class.js';

const withCode = (code: string): Error => Object.assign(new Error(code), { code });

describe('classifyError', () => {
  it('names unexpected statuses by code', () => {
    assert.equal(classifyError({ status: 502 }), 'http-502');
    assert.equal(classifyError({ status: 403 }), 'http-403');
    assert.equal(classifyError({ status: 200 }), 'http-200');
  });

  it('tells refused from reset connections', () => {
    assert.equal(classifyError(withCode('ECONNREFUSED')), 'refused');
    assert.equal(classifyError(withCode('ECONNRESET')), 'reset');
    assert.equal(classifyError(withCode('EPIPE')), 'reset');
    assert.equal(classifyError(new errors.SocketError('other side closed')), 'reset');
    assert.equal(classifyError(new errors.ResponseContentLengthMismatchError()), 'reset');
  });

  it('puts every kind of timeout in one class', () => {
    assert.equal(classifyError(new errors.HeadersTimeoutError()), 'timeout');
    assert.equal(classifyError(new errors.BodyTimeoutError()), 'timeout');
    assert.equal(classifyError(new errors.ConnectTimeoutError()), 'timeout');
    assert.equal(classifyError(new RequestDeadlineError(100)), 'timeout');
    assert.equal(classifyError(withCode('ETIMEDOUT')), 'timeout');
    assert.equal(classifyError(new DOMException('the operation timed out', 'TimeoutError')), 'timeout');
  });

  it('keeps contract failures and interruptions apart', () => {
    assert.equal(classifyError(new ScenarioCheckError('content', 'no token')), 'content');
    assert.equal(classifyError(new ScenarioCheckError('wrong-backend', 'x')), 'wrong-backend');
    assert.equal(classifyError(new RunAbortedError()), 'aborted');
    assert.equal(classifyError(new errors.RequestAbortedError()), 'aborted');
  });

  it('looks through causes and aggregate connect errors', () => {
    assert.equal(classifyError(new Error('fetch failed', { cause: withCode('ECONNREFUSED') })), 'refused');
    assert.equal(classifyError(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])), 'refused');
  });

  it('calls everything else other', () => {
    assert.equal(classifyError(new Error('boom')), 'other');
    assert.equal(classifyError(withCode('EWHATEVER')), 'other');
    assert.equal(classifyError(new errors.HeadersOverflowError()), 'other');
    assert.equal(classifyError('a string'), 'other');
    assert.equal(classifyError(null), 'other');
    assert.equal(classifyError({ status: '502' }), 'other');
  });
});
