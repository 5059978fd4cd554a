import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepOf, timeSplitOf } from '../../lab/stack/time-split.js';
import type { AccessLogEntry } from '../../lab/stack/nginx.js';

const entry = (method: string, path: string, hadCookie: boolean | null, rt: number, urt: number | null): AccessLogEntry => ({
  status: 200,
  method,
  path,
  requestTimeMs: rt,
  upstreamTimeMs: urt,
  upstreamConnectMs: 0,
  hadCookie,
});

test('log lines map to the scenario steps by method and cookie', () => {
  assert.equal(stepOf(entry('GET', '/', false, 1, 1)), 'get');
  assert.equal(stepOf(entry('POST', '/', true, 1, 1)), 'post');
  assert.equal(stepOf(entry('GET', '/', true, 1, 1)), 'redirect');
  assert.equal(stepOf(entry('GET', '/healthz', false, 1, 1)), null);
  assert.equal(stepOf(entry('GET', '/', null, 1, 1)), null, 'a log without ck= cannot tell the GETs apart');
});

test('per step: nginx time, the backend part and the proxy part', () => {
  const entries = [
    ...Array.from({ length: 99 }, () => entry('GET', '/', false, 10, 8)),
    entry('GET', '/', false, 100, 40),
    entry('POST', '/', true, 5, 5),
    entry('POST', '/', true, 7, null),
  ];
  const split = timeSplitOf(entries);
  assert.deepEqual(split.get, { requests: 100, nginxP50Ms: 10, nginxP99Ms: 10, backendP50Ms: 8, backendP99Ms: 8, proxyP50Ms: 2, proxyP99Ms: 2 });
  assert.equal(split.post?.requests, 1, 'a request no upstream answered is left out');
  assert.equal(split.redirect, undefined);
});
