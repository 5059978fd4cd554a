import { assertCanRun, DECLARED_VARIANTS } from '../support/declared-variants.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import mysql from 'mysql2/promise';
import { connectExternal, type Database } from '../../lab/stack/database.js';
import { startVariantStack, type VariantStack } from '../support/variant-stack.js';
import { isolatedDatabaseUrl } from '../support/isolated-database.js';
import { baseAddress, rawHttp, type RawHttpAnswer } from '../support/raw-http.js';
import { cgiParams, openFcgiConnection } from '../support/fcgi-client.js';
import { until } from '../support/lab-process.js';

// SIGTERM to `benchlab serve` (the process only, as a supervisor sends it) while requests are held
// in flight by a table lock: the app stops accepting, closes idle kept-alive connections at once,
// answers every request it had, and exits.

const DATABASE_URL = isolatedDatabaseUrl('shutdown');
/**
 * How long the app may take to exit once its last request is answered: a correctness bound, below
 * nginx's 4 s upstream keepalive_timeout that an app waiting for nginx to close would take.
 */
const EXIT_BOUND_MS = 3_000;

/** Server-side ESTABLISHED TCP connections on a local port. */
function establishedOn(port: number): number {
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '01' && parseInt(cols[1]?.split(':')[1] ?? '', 16) === port) n++;
    }
  }
  return n;
}

/** A connection to the app that served one request and now sits idle, kept alive. */
async function idleConnection(stack: VariantStack): Promise<{ closed: Promise<void>; isClosed(): boolean }> {
  let closed = false;
  if (stack.variant.protocol === 'fastcgi') {
    const conn = await openFcgiConnection({ host: '127.0.0.1', port: stack.appPort });
    const res = await conn.request({ params: cgiParams('GET', '/healthz'), keepConn: true });
    assert.equal(res.status, 200);
    const done = conn.closed.then(() => {
      closed = true;
    });
    return { closed: done, isClosed: () => closed };
  }
  const socket = net.connect(stack.appPort, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  const done = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(() => {
    closed = true;
  });
  socket.write('GET /healthz HTTP/1.1\r\nHost: app\r\n\r\n');
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  return { closed: done, isClosed: () => closed };
}

async function waitingQueries(admin: mysql.Connection, database: string): Promise<number> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND STATE LIKE 'Waiting for table%'",
    [database],
  );
  return Number(rows[0]!.n);
}

for (const variant of DECLARED_VARIANTS) {
  describe(`${variant.name}: graceful shutdown`, () => {
    let db: Database;
    let stack: VariantStack;
    let admin: mysql.Connection;
    const database = new URL(DATABASE_URL).pathname.slice(1);

    before(async () => {
      assertCanRun(variant);
      db = await connectExternal(DATABASE_URL);
      await db.ensureSchema();
      await db.resetTable();
      stack = await startVariantStack(variant.name, DATABASE_URL);
      admin = await mysql.createConnection(DATABASE_URL);
    });
    after(async () => {
      await admin?.query('UNLOCK TABLES').catch(() => undefined);
      await admin?.end().catch(() => undefined);
      await stack?.stop();
      await db?.stop();
    });

    test('SIGTERM with requests in flight: stops accepting, drops idle connections, answers every request, exits', { timeout: 60_000 }, async (t) => {
      const nginx = baseAddress(stack.url);
      const page = await rawHttp(nginx, { method: 'GET', path: '/' });
      const token = /name="csrf" value="([0-9a-f]{32})"/.exec(page.body)?.[1];
      assert.ok(token);
      // Requests nginx made so far left idle kept-alive connections to the app; this one is ours.
      await Promise.all(Array.from({ length: 4 }, () => rawHttp(nginx, { method: 'GET', path: '/healthz' })));
      const idle = await idleConnection(stack);

      // Two requests: what any model holds at once (two threads of one task each, two database connections).
      const gets = 1;
      const posts = 1;
      await admin.query('LOCK TABLES entries WRITE');
      const headers: Array<[string, string]> = [
        ['Cookie', `csrftoken=${token}`],
        ['Content-Type', 'application/x-www-form-urlencoded'],
      ];
      const inFlight: Array<Promise<RawHttpAnswer>> = [
        ...Array.from({ length: gets }, () => rawHttp(nginx, { method: 'GET', path: '/' }, 30_000)),
        ...Array.from({ length: posts }, (_, i) => rawHttp(nginx, { method: 'POST', path: '/', headers, body: `body=in-flight-${i}&csrf=${token}` }, 30_000)),
      ];
      await until(async () => (await waitingQueries(admin, database)) >= gets + posts, 15_000, 'every request waits on the lock inside the app');

      process.kill(stack.app.pid, 'SIGTERM');
      // While the requests are still held, the idle connections go and new ones are refused.
      await until(() => idle.isClosed(), 15_000, 'our idle kept-alive connection is closed');
      await until(() => establishedOn(stack.appPort) <= gets + posts, 15_000, "nginx's idle upstream connections are closed");
      if (variant.command === undefined) {
        await until(async () => !(await accepts(stack.appPort)), 15_000, 'the app stops accepting');
      } else {
        // gunicorn's arbiter closes its listening socket, but each sync worker holds a copy until it
        // exits: connections made during the drain wait in the backlog and are reset at the end.
        t.diagnostic(`${variant.name}: accepts during the drain: ${await accepts(stack.appPort)}`);
      }
      assert.equal(stack.app.hasExited(), false, 'the app waits for its requests');

      await admin.query('UNLOCK TABLES');
      const answers = await Promise.all(inFlight);
      const unlockedAt = Date.now();
      assert.deepEqual(
        answers.map((a) => a.status),
        [...Array(gets).fill(200), ...Array(posts).fill(302)],
        'every request in flight is answered, none with 502',
      );
      const exit = await Promise.race([stack.app.exited, new Promise<'late'>((r) => setTimeout(() => r('late'), EXIT_BOUND_MS))]);
      assert.notEqual(exit, 'late', `the app exits within ${EXIT_BOUND_MS} ms of its last answer`);
      assert.deepEqual(exit, { code: 0, signal: null }, 'a clean exit');
      t.diagnostic(`exited ${Date.now() - unlockedAt} ms after the last answer`);
      assert.equal(await db.countRows(), posts, 'every POST in flight was written once');
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
