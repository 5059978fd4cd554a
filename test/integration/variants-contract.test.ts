import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startVariantStack, type VariantStack } from '../support/variant-stack.js';
import { TEST_DATABASE_URL, testDatabase } from '../support/test-database.js';
import type { Database } from '../../lab/stack/database.js';
import { VARIANTS } from '../../apps/variants.js';
import { processTree } from '../../lab/stack/sampler.js';
import { waitFor } from '../../lab/stack/service.js';

const execFileAsync = promisify(execFile);
const FORM = 'application/x-www-form-urlencoded';

interface Page {
  status: number;
  headers: Headers;
  text: string;
}

async function request(url: string, init: RequestInit = {}): Promise<Page> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function tokenOf(page: Page): string {
  const match = /name="csrf" value="([0-9a-f]+)"/.exec(page.text);
  assert.ok(match, 'the page carries a csrf field');
  return match[1]!;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

for (const variant of VARIANTS) {
  describe(`${variant.name} behind nginx against MariaDB`, () => {
    let stack: VariantStack;
    let db: Database;
    let cookie: string;
    let token: string;

    const post = (body: string, headers: Record<string, string> = {}) =>
      request(`${stack.url}/`, { method: 'POST', headers: { 'content-type': FORM, cookie, ...headers }, body });

    before(async () => {
      db = await testDatabase();
      await db.ensureSchema();
      await db.resetTable();
      stack = await startVariantStack(variant.name, TEST_DATABASE_URL);
    });
    after(async () => {
      await stack?.stop();
      await db?.stop();
    });

    test('GET / serves the form, sets the CSRF cookie and names the variant', async () => {
      const page = await request(`${stack.url}/`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(page.headers.get('x-backend'), variant.name);
      assert.match(page.headers.get('x-worker') ?? '', variant.model === 'threaded' ? /^\d+:\d+$/ : /^\d+$/);
      assert.match(page.text, /<form method="post" action="\/">/);
      assert.match(page.text, /name="body"/);
      const setCookie = page.headers.get('set-cookie') ?? '';
      const cookieMatch = /^csrftoken=([0-9a-f]{32});/.exec(setCookie);
      assert.ok(cookieMatch, `csrftoken cookie set (got "${setCookie}")`);
      token = tokenOf(page);
      assert.equal(token, cookieMatch[1]);
      cookie = `csrftoken=${token}`;
      const again = await request(`${stack.url}/`, { headers: { cookie } });
      assert.equal(again.headers.get('set-cookie'), null, 'no new cookie when one is sent');
      assert.equal(tokenOf(again), token);
    });

    test('POST / inserts, answers 302 to /, and the next page shows the escaped text', async () => {
      const text = `hello <b>&"'</b> ${variant.name} привет 世界 ✓`;
      const rowsBefore = await db.countRows();
      const res = await post(form({ body: text, csrf: token }));
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/');
      assert.equal(res.headers.get('x-backend'), variant.name);
      const page = await request(`${stack.url}/`, { headers: { cookie } });
      assert.ok(page.text.includes(`hello &lt;b&gt;&amp;&quot;&#39;&lt;/b&gt; ${variant.name} привет 世界 ✓`));
      assert.ok(!page.text.includes('<b>&'), 'markup is escaped');
      assert.equal(await db.countRows(), rowsBefore + 1, 'exactly one row inserted');
    });

    test('rejected POSTs answer 403/400/413/415/405 and insert nothing', async () => {
      const before = await db.countRows();
      const cases: Array<[string, Promise<Page>, number]> = [
        ['bad token', post(form({ body: 'x', csrf: 'f'.repeat(32) })), 403],
        ['no cookie', request(`${stack.url}/`, { method: 'POST', headers: { 'content-type': FORM }, body: form({ body: 'x', csrf: token }) }), 403],
        ['empty body', post(form({ body: '', csrf: token })), 400],
        ['1001 characters', post(form({ body: 'é'.repeat(1001), csrf: token })), 400],
        ['invalid UTF-8', post(`body=%ff%fe&csrf=${token}`), 400],
        ['oversized', post(form({ body: 'x'.repeat(20_000), csrf: token })), 413],
        ['wrong content type', post(form({ body: 'x', csrf: token }), { 'content-type': 'text/plain' }), 415],
        ['other method', request(`${stack.url}/`, { method: 'DELETE' }), 405],
      ];
      for (const [what, pending, status] of cases) {
        const res = await pending;
        assert.equal(res.status, status, what);
        assert.equal(res.headers.get('x-backend'), variant.name, `${what}: X-Backend`);
        assert.ok(res.headers.get('x-worker'), `${what}: X-Worker`);
      }
      assert.equal(await db.countRows(), before, 'nothing inserted');
    });

    test('the page shows exactly the 20 newest entries, newest first', async () => {
      for (let i = 0; i < 23; i++) {
        assert.equal((await post(form({ body: `entry-${i}-end`, csrf: token }))).status, 302);
      }
      const page = await request(`${stack.url}/`, { headers: { cookie } });
      const shown = [...page.text.matchAll(/entry-(\d+)-end/g)].map((m) => Number(m[1]));
      assert.deepEqual(
        shown,
        Array.from({ length: 20 }, (_, i) => 22 - i),
      );
      assert.equal((page.text.match(/<li /g) ?? []).length, 20);
    });

    test('/healthz answers 200 while the database answers', async () => {
      const res = await request(`${stack.url}/healthz`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-backend'), variant.name);
    });

    if (variant.protocol === 'fastcgi') {
      test('answers a plain FastCGI client (cgi-fcgi) on its own port', async () => {
        const { stdout } = await execFileAsync('cgi-fcgi', ['-bind', '-connect', `127.0.0.1:${stack.appPort}`], {
          env: { REQUEST_METHOD: 'GET', REQUEST_URI: '/', SCRIPT_NAME: '/', SERVER_PROTOCOL: 'HTTP/1.1', CONTENT_TYPE: '', CONTENT_LENGTH: '' },
        });
        assert.match(stdout, /^Status: 200 OK\r?\n/);
        assert.match(stdout, /x-backend: fastcgi/i);
        assert.match(stdout, /<form method="post" action="\/">/);
      });
    }

    if (variant.model === 'prefork') {
      test('a worker that dies is replaced', async () => {
        const workersOf = () => processTree([stack.app.pid]).filter((pid) => pid !== stack.app.pid);
        const first = workersOf();
        assert.equal(first.length, 2, 'two workers at start');
        const victim = first[0]!;
        process.kill(victim, 'SIGKILL');
        const deadline = Date.now() + 30_000;
        let now = workersOf();
        while (Date.now() < deadline && (now.length !== 2 || now.includes(victim))) {
          await new Promise((r) => setTimeout(r, 100));
          now = workersOf();
        }
        const appLog = () => (stack.app.logFile && fs.existsSync(stack.app.logFile) ? fs.readFileSync(stack.app.logFile, 'utf8').slice(-2000) : '');
        assert.ok(!now.includes(victim), `the killed worker ${victim} is gone (workers: ${now.join(' ')}; app log: ${appLog()})`);
        assert.equal(now.length, 2, `a new worker took its place (workers: ${now.join(' ')}; app log: ${appLog()})`);
        await waitFor(async () => (await request(`${stack.url}/healthz`)).status === 200, {
          timeoutMs: 15_000,
          intervalMs: 100,
          what: 'healthz after the replacement',
        }).catch((error: Error) => assert.fail(`${error.message} (app log: ${appLog()})`));
      });
    }
  });
}
