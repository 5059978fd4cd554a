import { assertCanRun, DECLARED_VARIANTS } from '../support/declared-variants.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VariantSpec } from '../../apps/variants.js';
import { CONTENT_SECURITY_POLICY } from '../../apps/core/guestbook.js';
import { connectExternal, type Database } from '../../lab/stack/database.js';
import { processTree } from '../../lab/stack/sampler.js';
import { startVariantStack, type VariantStack } from '../support/variant-stack.js';
import { isolatedDatabaseUrl } from '../support/isolated-database.js';
import { baseAddress } from '../support/raw-http.js';
import { isLoopback, listeningSockets } from '../../lab/stack/listening-sockets.js';
import { send, type Answer, type HostileRequest, type Layer } from '../support/hostile-requests.js';
import {
  acceptedEdgeCases,
  contentTypeCases,
  csrfCases,
  encodingCases,
  fieldCases,
  limitCases,
  MARKUP_AND_SQL,
  pathAndMethodCases,
  type HostileCase,
  type Visitor,
} from '../support/hostile-input-cases.js';

const DATABASE_URL = isolatedDatabaseUrl('hostile');
const FORM = 'application/x-www-form-urlencoded';

/** Processes that answer requests: prefork workers, or the one process that holds the threads. */
function workerPids(stack: VariantStack): number[] {
  const pid = stack.app.pid;
  if (stack.variant.model !== 'prefork') return [pid];
  return processTree([pid])
    .filter((p) => p !== pid)
    .sort((a, b) => a - b);
}

function assertAnsweredBy(answer: Answer, expected: { status: number; by: string }, variant: VariantSpec, what: string): void {
  assert.equal(answer.status, expected.status, `${what}: status (body: ${answer.body.slice(0, 200)})`);
  if (expected.by === 'app') {
    assert.equal(answer.headers['x-backend'], variant.name, `${what}: answered by the app`);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
    assert.equal(answer.headers['content-security-policy'], CONTENT_SECURITY_POLICY, `${what}: CSP`);
    if (expected.status === 405 && answer.headers['x-backend']) assert.equal(answer.headers['allow'], 'GET, HEAD, POST', `${what}: Allow`);
  } else if (expected.by === 'nginx') {
    assert.equal(answer.headers['x-backend'], undefined, `${what}: nginx answered on its own`);
    assert.equal(answer.headers['server'], 'nginx', `${what}: nginx does not announce its version`);
    assert.doesNotMatch(answer.body, /nginx\/\d/, `${what}: no version on nginx's error page`);
  }
}

for (const variant of DECLARED_VARIANTS) {
  describe(`${variant.name}: hostile input`, () => {
    let db: Database;
    let stack: VariantStack;
    let visitor: Visitor;
    let baseline: number[];
    let rows = 0;
    const layers: Layer[] = variant.protocol === 'fastcgi' ? ['nginx', 'fastcgi'] : ['nginx'];
    const target = (layer: Layer) => (layer === 'nginx' ? baseAddress(stack.url) : { host: '127.0.0.1', port: stack.appPort });

    before(async () => {
      assertCanRun(variant);
      db = await connectExternal(DATABASE_URL);
      await db.ensureSchema();
      await db.resetTable();
      stack = await startVariantStack(variant.name, DATABASE_URL);
      const page = await send('nginx', target('nginx'), { method: 'GET', path: '/' });
      const token = /name="csrf" value="([0-9a-f]{32})"/.exec(page.body)?.[1];
      assert.ok(token, 'the page carries a csrf token');
      visitor = { token, cookie: `csrftoken=${token}` };
      baseline = workerPids(stack);
    });
    after(async () => {
      await stack?.stop();
      await db?.stop();
    });

    /** After each group: the same workers answer GET / on every layer, the app lives, and the table holds only accepted posts. */
    async function assertStillServing(): Promise<void> {
      assert.equal(stack.app.hasExited(), false, 'the app process is alive');
      for (const layer of layers) {
        const page = await send(layer, target(layer), { method: 'GET', path: '/', cookie: visitor.cookie });
        assert.equal(page.status, 200, `GET / through ${layer}`);
        const pid = Number((page.headers['x-worker'] ?? '').split(':')[0]);
        assert.ok(baseline.includes(pid), `GET / through ${layer} answered by worker ${pid} of ${baseline.join(', ')}`);
      }
      assert.deepEqual(workerPids(stack), baseline, 'no worker died or was replaced');
      assert.equal(await db.countRows(), rows, 'the table holds exactly the accepted posts');
    }

    async function sendCases(cases: (s: Visitor) => HostileCase[]): Promise<void> {
      for (const layer of layers) {
        for (const c of cases(visitor)) {
          const answer = await send(layer, target(layer), c.request);
          assertAnsweredBy(answer, c.expect(layer, variant), variant, `${c.what} (through ${layer})`);
        }
      }
      await assertStillServing();
    }

    test('safe defaults: loopback only, no nginx version, nosniff, CSP and a HttpOnly SameSite=Lax cookie', async () => {
      const sockets = listeningSockets([...processTree([stack.app.pid]), ...stack.nginx.pids()]);
      assert.ok(
        sockets.some((s) => s.port === stack.appPort),
        `the app listens on its port (${JSON.stringify(sockets)})`,
      );
      for (const s of sockets) assert.ok(isLoopback(s.address), `pid ${s.pid} listens on ${s.address}:${s.port}`);
      for (const layer of layers) {
        const page = await send(layer, target(layer), { method: 'GET', path: '/' });
        assertAnsweredBy(page, { status: 200, by: 'app' }, variant, `GET / through ${layer}`);
        assert.match(page.headers['set-cookie'] ?? '', /^csrftoken=[0-9a-f]{32}; Path=\/; SameSite=Lax; HttpOnly$/);
        if (layer === 'nginx') assert.equal(page.headers['server'], 'nginx', 'no version in the Server header');
      }
      await assertStillServing();
    });

    test('bodies over the limit or cut short, long fields and cookies', () => sendCases(limitCases));
    test('wrong and missing content types answer 415', () => sendCases(contentTypeCases));
    test('invalid UTF-8, broken escapes and NUL answer 400', () => sendCases(encodingCases));
    test('many, repeated and empty fields', () => sendCases(fieldCases));
    test('a missing or mismatched CSRF token answers 403', () => sendCases(csrfCases));
    test('unknown paths answer 404 and other methods 405', () => sendCases(pathAndMethodCases));

    if (variant.protocol === 'http') {
      test('the app server itself, without nginx, refuses headers past its own limit', async () => {
        const answer = await send(
          'nginx',
          { host: '127.0.0.1', port: stack.appPort },
          { method: 'GET', path: '/', cookie: `${visitor.cookie}; junk=${'j'.repeat(20_000)}` },
        );
        // Node's parser stops at 16 KiB of headers (431, with the contract's headers); gunicorn at 8190 bytes per field (its own 400).
        if (variant.command) assert.equal(answer.status, 400);
        else assertAnsweredBy(answer, { status: 431, by: 'app' }, variant, 'a 20 KB cookie straight to the app');
        await assertStillServing();
      });
    }

    test('inputs at the edge of the limits are stored exactly once', async () => {
      for (const layer of layers) {
        for (const c of acceptedEdgeCases(visitor, layer)) {
          const answer = await send(layer, target(layer), c.request);
          assertAnsweredBy(answer, { status: 302, by: 'app' }, variant, `${c.what} (through ${layer})`);
          rows += 1;
          assert.deepEqual(await db.auditMarkers([c.stores]), { rows, missing: 0, duplicated: 0 }, c.what);
        }
      }
      await assertStillServing();
    });

    test('markup and SQL metacharacters are stored as sent and shown escaped, never run', async () => {
      const texts: string[] = [];
      const shown: string[] = [];
      for (const layer of layers) {
        for (const [text, asShown] of MARKUP_AND_SQL) {
          const stored = `${text} [${layer}]`;
          shown.push(`${asShown} [${layer}]`);
          const request: HostileRequest = {
            method: 'POST',
            path: '/',
            contentType: FORM,
            cookie: visitor.cookie,
            body: new URLSearchParams({ body: stored, csrf: visitor.token }).toString(),
          };
          assertAnsweredBy(await send(layer, target(layer), request), { status: 302, by: 'app' }, variant, stored);
          texts.push(stored);
          rows += 1;
        }
      }
      assert.deepEqual(await db.auditMarkers(texts), { rows, missing: 0, duplicated: 0 }, 'every text stored once, the table intact');
      for (const layer of layers) {
        const page = await send(layer, target(layer), { method: 'GET', path: '/', cookie: visitor.cookie });
        for (const text of shown) assert.ok(page.body.includes(text), `the page shows ${JSON.stringify(text)}`);
        assert.doesNotMatch(page.body, /<script|<img/, 'no markup from a post reaches the page');
      }
      await assertStillServing();
    });
  });
}
