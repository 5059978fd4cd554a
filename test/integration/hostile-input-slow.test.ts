import { assertCanRun, DECLARED_VARIANTS } from '../support/declared-variants.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectExternal, type Database } from '../../lab/stack/database.js';
import { startVariantStack, type VariantStack } from '../../lab/stack/variant-stack.js';
import { parseAccessLog } from '../../lab/stack/nginx.js';
import { isolatedDatabaseUrl } from '../support/isolated-database.js';
import { baseAddress, rawHttp } from '../support/raw-http.js';
import { exchange, STALLED_REQUESTS } from '../support/broken-fastcgi.js';
import { FASTCGI_REQUEST_TIMEOUT_MS } from '../../apps/adapters/fastcgi-server.js';

// Senders slower than the timeouts, against every variant at once (one worker or thread each), so
// the suite waits for the timeouts once rather than once per variant.

const DATABASE_URL = isolatedDatabaseUrl('hostile_slow');
/** nginx's client_header_timeout and client_body_timeout (nginx/*.template). */
const NGINX_TIMEOUT_MS = 5_000;
const WAIT_MS = Math.max(NGINX_TIMEOUT_MS, FASTCGI_REQUEST_TIMEOUT_MS) + 5_000;

const variants = DECLARED_VARIANTS;
const STARTS_AT_ONCE = 4;
const stacks: VariantStack[] = [];
let db: Database;
let workDir: string;

before(async () => {
  for (const variant of variants) assertCanRun(variant);
  db = await connectExternal(DATABASE_URL);
  await db.ensureSchema();
  await db.resetTable();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-test-slow-'));
  const options = { databaseUrl: DATABASE_URL, workers: 1, threads: 1, dbPool: 2, serverCpus: undefined, workDir };
  // Started a few at a time: twenty variants booting at once on two cores can outlast a start's
  // readiness timeout. Once up, they all take the slow senders together.
  const started: PromiseSettledResult<VariantStack>[] = [];
  for (let i = 0; i < variants.length; i += STARTS_AT_ONCE) {
    started.push(...(await Promise.allSettled(variants.slice(i, i + STARTS_AT_ONCE).map((v) => startVariantStack(v, options)))));
  }
  for (const s of started) if (s.status === 'fulfilled') stacks.push(s.value);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
});

after(async () => {
  await Promise.all(stacks.map((s) => s.stop()));
  await db?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

async function csrf(stack: VariantStack): Promise<{ token: string; cookie: string }> {
  const page = await rawHttp(baseAddress(stack.target), { method: 'GET', path: '/' });
  const token = /name="csrf" value="([0-9a-f]{32})"/.exec(page.body)?.[1];
  assert.ok(token, `${stack.variant.name}: a csrf token`);
  return { token, cookie: `csrftoken=${token}` };
}

test('a body or headers slower than the timeout are cut off by nginx, or by the app on its FastCGI port; nothing is inserted and every variant keeps serving', {
  timeout: 60_000,
}, async () => {
  await Promise.all(
    stacks.map(async (stack) => {
      const name = stack.variant.name;
      const { token, cookie } = await csrf(stack);
      const form = `body=slow&csrf=${token}`;
      const headers: Array<[string, string]> = [
        ['Content-Type', 'application/x-www-form-urlencoded'],
        ['Cookie', cookie],
      ];
      const direct = stack.variant.protocol === 'fastcgi' ? STALLED_REQUESTS : [];
      const [slowBody, slowHeaders, ...stalled] = await Promise.all([
        rawHttp(baseAddress(stack.target), { method: 'POST', path: '/', headers, body: form, stallBodyAt: 10 }, WAIT_MS),
        rawHttp(baseAddress(stack.target), { method: 'GET', path: '/', headers: [['X-Slow', 'never-ends']], stallHeaders: true }, WAIT_MS),
        ...direct.map((c) => exchange({ host: '127.0.0.1', port: stack.appPort }, c.bytes, WAIT_MS)),
      ]);
      // Straight to the FastCGI port, the app's own request timeout closes the connection.
      for (const [i, ex] of stalled.entries()) assert.equal(ex.closedByServer, true, `${name}: ${direct[i]!.what} straight to the FastCGI port`);
      // nginx closes without an answer and logs 408 (Request Timeout) for both.
      assert.equal(slowBody.status, 0, `${name}: stalled body (${slowBody.body.slice(0, 100)})`);
      assert.equal(slowHeaders.status, 0, `${name}: stalled headers`);
      const timedOut = parseAccessLog(fs.readFileSync(stack.nginx.accessLog, 'utf8')).filter((e) => e.status === 408 && e.path === '/');
      assert.deepEqual(
        timedOut.map((e) => [e.method, e.upstreamTimeMs]).sort(),
        [
          ['GET', null],
          ['POST', null],
        ],
        `${name}: both logged 408, neither reached the app`,
      );
      const page = await rawHttp(baseAddress(stack.target), { method: 'GET', path: '/', headers: [['Cookie', cookie]] });
      assert.equal(page.status, 200, `${name}: still serving`);
      assert.equal(stack.app.hasExited(), false, `${name}: the app is alive`);
    }),
  );
  assert.equal(await db.countRows(), 0, 'no slow post was inserted');
});
