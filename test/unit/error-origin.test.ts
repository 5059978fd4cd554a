import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorOriginOf, withNginxConnectionLimit } from '../../common/error-origin.js';
import { nginxEventsOf } from '../../lab/stack/nginx-events.js';
import { parseAccessLog } from '../../lab/stack/nginx.js';

test('every failure is put where it happened', () => {
  const cases: Array<[string, boolean, string]> = [
    ['dropped', false, 'dropped'],
    ['timeout', false, 'client-timeout'],
    ['refused', false, 'refused'],
    ['reset', false, 'reset'],
    ['http-502', false, 'nginx-upstream'],
    ['http-504', false, 'nginx-upstream'],
    ['http-503', false, 'nginx-upstream'],
    ['http-503', true, 'app-5xx'],
    ['http-500', true, 'app-5xx'],
    ['http-413', false, 'nginx-other'],
    ['http-403', true, 'app-4xx'],
    ['http-200', true, 'app-other'],
    ['content', true, 'content'],
    ['wrong-backend', true, 'content'],
    ['aborted', false, 'aborted'],
    ['other', false, 'other'],
  ];
  for (const [errorClass, byApp, origin] of cases)
    assert.equal(errorOriginOf(errorClass, byApp), origin, `${errorClass} ${byApp ? 'from the app' : 'from nginx'}`);
});

test("resets while nginx ran out of connections are nginx's, up to as many events as it logged", () => {
  assert.deepEqual(withNginxConnectionLimit({ reset: 5, 'client-timeout': 1 }, 3), { reset: 2, 'nginx-connection-limit': 3, 'client-timeout': 1 });
  assert.deepEqual(withNginxConnectionLimit({ reset: 2 }, 10), { 'nginx-connection-limit': 2 });
  assert.deepEqual(withNginxConnectionLimit({ reset: 2 }, 0), { reset: 2 });
});

test("nginx's own limit events are read from its logs", () => {
  const errorLog = [
    '2026/12/02 12:00:00 [alert] 12#12: 4096 worker_connections are not enough, reusing connections',
    '2026/12/02 12:00:00 [alert] 12#12: 4096 worker_connections are not enough, reusing connections',
    '2026/12/02 12:00:01 [error] 12#12: *7 upstream prematurely closed connection while reading response header from upstream, client: 127.0.0.1',
    '2026/12/02 12:00:01 [error] 12#12: *8 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1',
    '2026/12/02 12:00:02 [error] 12#12: *9 upstream timed out (110: Connection timed out) while reading response header from upstream',
    '2026/12/02 12:00:03 [warn] 12#12: something else',
  ].join('\n');
  const access = parseAccessLog(
    [
      '127.0.0.1 [02/Dec/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 512 rt=0.002 urt=0.002 uct=0.000 ck=0',
      '127.0.0.1 [02/Dec/2026:12:00:01 +0000] "POST / HTTP/1.1" 502 150 rt=0.010 urt=0.010 uct=- ck=1',
      '127.0.0.1 [02/Dec/2026:12:00:02 +0000] "GET / HTTP/1.1" 504 150 rt=60.0 urt=60.0 uct=0.000 ck=1',
      '127.0.0.1 [02/Dec/2026:12:00:03 +0000] "GET / HTTP/1.1" 499 0 rt=1.0 urt=- uct=- ck=1',
    ].join('\n'),
  );
  assert.deepEqual(nginxEventsOf(errorLog, access), {
    connectionLimit: 2,
    upstream: { 'closed early': 1, 'connect failed': 1, 'timed out': 1 },
    status: { '502': 1, '504': 1, '499': 1 },
  });
});
