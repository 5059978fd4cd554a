import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { FASTCGI_REQUEST_TIMEOUT_MS } from '../../apps/adapters/fastcgi-server.js';
import { connectExternal, type Database } from '../../lab/stack/database.js';
import { processTree } from '../../lab/stack/sampler.js';
import { startVariantStack, type VariantStack } from '../support/variant-stack.js';
import { isolatedDatabaseUrl } from '../support/isolated-database.js';
import { cgiParams, FcgiType, openFcgiConnection } from '../support/fcgi-client.js';
import { baseAddress, rawHttp } from '../support/raw-http.js';
import { BROKEN_RECORDS, CUT_RECORDS, exchange, STALLED_REQUESTS, type BrokenCase, type Exchange } from '../support/broken-fastcgi.js';

const require = createRequire(import.meta.url);
const fcgi = require('node-fastcgi') as { createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server & { requestTimeout: number } };

/** Long enough for a server to close a connection it refuses. */
const SETTLE_MS = 300;

function assertOutcome(c: BrokenCase, ex: Exchange, serves: boolean): void {
  if (c.outcome === 'closed') {
    assert.equal(ex.closedByServer, true, `${c.what}: the connection is closed`);
    return;
  }
  assert.equal(ex.closedByServer, false, `${c.what}: the connection stays open`);
  assert.equal(serves, true, `${c.what}: the connection still answers FCGI_GET_VALUES`);
  assert.deepEqual(ex.types, c.outcome === 'unknown-type' ? [FcgiType.UNKNOWN_TYPE] : [], `${c.what}: records sent back`);
}

async function normalRequest(target: { host: string; port: number }): Promise<number> {
  const conn = await openFcgiConnection(target);
  try {
    return (await conn.request({ params: cgiParams('GET', '/healthz'), keepConn: false })).status;
  } finally {
    conn.close();
  }
}

async function sendBroken(target: { host: string; port: number }, c: BrokenCase, cut: boolean, waitMs = SETTLE_MS): Promise<void> {
  const ex = await exchange(target, c.bytes, waitMs, cut);
  try {
    if (!cut) assertOutcome(c, ex, c.outcome === 'closed' ? false : await ex.stillServes());
  } finally {
    ex.close();
  }
  assert.equal(await normalRequest(target), 200, `${c.what}: a normal request on a new connection is answered`);
}

describe('node-fastcgi (patched) against broken records', () => {
  let server: Server & { requestTimeout: number };
  let target: { host: string; port: number };

  before(async () => {
    server = fcgi.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    // Short here so the stalled cases end quickly; the app uses FASTCGI_REQUEST_TIMEOUT_MS.
    server.requestTimeout = 500;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const c of BROKEN_RECORDS) test(c.what, () => sendBroken(target, c, false));
  for (const c of CUT_RECORDS) test(c.what, () => sendBroken(target, c, true));
  for (const c of STALLED_REQUESTS) test(`${c.what}: closed after requestTimeout`, () => sendBroken(target, c, false, 3000));
});

describe('the fastcgi variant against broken records on its own port', () => {
  const databaseUrl = isolatedDatabaseUrl('fcgi_records');
  let db: Database;
  let stack: VariantStack;
  let workers: number[];
  const app = () => ({ host: '127.0.0.1', port: stack.appPort });
  const workerPids = () =>
    processTree([stack.app.pid])
      .filter((p) => p !== stack.app.pid)
      .sort((a, b) => a - b);

  before(async () => {
    db = await connectExternal(databaseUrl);
    await db.ensureSchema();
    await db.resetTable();
    stack = await startVariantStack('fastcgi', databaseUrl);
    workers = workerPids();
  });
  after(async () => {
    await stack?.stop();
    await db?.stop();
  });

  async function assertStillServing(): Promise<void> {
    assert.equal(stack.app.hasExited(), false, 'the app is alive');
    assert.deepEqual(workerPids(), workers, 'no worker died');
    assert.equal((await rawHttp(baseAddress(stack.url), { method: 'GET', path: '/' })).status, 200, 'nginx still gets pages');
  }

  test('each broken record closes its connection or is ignored, and the workers keep serving', async () => {
    for (const c of BROKEN_RECORDS) await sendBroken(app(), c, false);
    for (const c of CUT_RECORDS) await sendBroken(app(), c, true);
    await assertStillServing();
  });

  test(`requests that never arrive whole are cut off after ${FASTCGI_REQUEST_TIMEOUT_MS} ms and insert nothing`, { timeout: 30_000 }, async () => {
    await Promise.all(STALLED_REQUESTS.map((c) => sendBroken(app(), c, false, FASTCGI_REQUEST_TIMEOUT_MS + 5000)));
    assert.equal(await db.countRows(), 0);
    await assertStillServing();
  });

  test('cgi-fcgi (libfcgi) still gets a page, and a POST that inserts exactly once', async () => {
    const cgiFcgi = (env: Record<string, string>, stdin = '') =>
      new Promise<string>((resolve, reject) => {
        const child = execFile('cgi-fcgi', ['-bind', '-connect', `127.0.0.1:${stack.appPort}`], { env, timeout: 10_000 }, (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        );
        child.stdin?.end(stdin);
      });
    const base = { SERVER_PROTOCOL: 'HTTP/1.1', REQUEST_URI: '/', SCRIPT_NAME: '/', CONTENT_TYPE: '', CONTENT_LENGTH: '' };
    const page = await cgiFcgi({ ...base, REQUEST_METHOD: 'GET' });
    assert.match(page, /^Status: 200 OK\r?\n/);
    const token = /name="csrf" value="([0-9a-f]{32})"/.exec(page)?.[1];
    assert.ok(token);
    const form = `body=from+libfcgi&csrf=${token}`;
    const posted = await cgiFcgi(
      {
        ...base,
        REQUEST_METHOD: 'POST',
        CONTENT_TYPE: 'application/x-www-form-urlencoded',
        CONTENT_LENGTH: String(form.length),
        HTTP_COOKIE: `csrftoken=${token}`,
      },
      form,
    );
    assert.match(posted, /^Status: 302 Found\r?\n/);
    assert.deepEqual(await db.auditMarkers(['from libfcgi']), { rows: 1, missing: 0, duplicated: 0 });
    await assertStillServing();
  });
});
