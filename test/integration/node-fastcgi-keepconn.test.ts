import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { cgiParams, FcgiType, openFcgiConnection, type FcgiConnection, type FcgiResponse } from '../support/fcgi-client.js';

const require = createRequire(import.meta.url);

/** The slice of node-fastcgi (CJS, untyped) used here: http-style handlers whose response also has a stderr stream. */
type FcgiResponseStream = ServerResponse & { stderr: NodeJS.WritableStream };
interface NodeFastcgi {
  createServer(handler: (req: IncomingMessage, res: FcgiResponseStream) => void): net.Server;
}
const fcgi = require('node-fastcgi') as NodeFastcgi;

const WARNING = 'template cache cold, rendering from disk\n';
const FORM = Buffer.from('name=ann&message=hello+there');
// a generous cap so a server that never answers fails the test instead of hanging it
const HANG_GUARD = { timeout: 10_000 };

function answer(req: IncomingMessage, res: FcgiResponseStream): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url === '/warn') res.stderr.write(WARNING);
    if (req.method === 'POST') {
      res.statusCode = 302;
      res.setHeader('Location', '/');
      res.end(`saved ${Buffer.concat(chunks).toString()}`);
      return;
    }
    res.setHeader('Content-Type', 'text/plain');
    res.end(`page ${req.url}`);
  });
}

let server: net.Server;
let port: number;

before(async () => {
  server = fcgi.createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const get = (uri: string, keepConn: boolean, id?: number) => ({ params: cgiParams('GET', uri), keepConn, id });
const post = (keepConn: boolean, id?: number) => ({
  params: cgiParams('POST', '/', { contentType: 'application/x-www-form-urlencoded', contentLength: FORM.length }),
  body: FORM,
  keepConn,
  id,
});

async function withConnection(use: (conn: FcgiConnection) => Promise<void>): Promise<void> {
  const conn = await openFcgiConnection({ host: '127.0.0.1', port });
  try {
    await use(conn);
  } finally {
    conn.close();
    await conn.closed;
  }
}

/** A GET_VALUES round trip: everything the server wrote before its answer has then been received. */
async function assertStillServed(conn: FcgiConnection): Promise<void> {
  const values = await conn.getValues(['FCGI_MPXS_CONNS']);
  assert.equal(values.FCGI_MPXS_CONNS, '1');
  assert.equal(conn.serverClosed, false, 'the server closed a FCGI_KEEP_CONN connection');
}

function assertPage(response: FcgiResponse, uri: string): void {
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'text/plain');
  assert.equal(response.body.toString(), `page ${uri}`);
  assert.equal(response.appStatus, 0);
}

function assertRedirect(response: FcgiResponse): void {
  assert.equal(response.status, 302);
  assert.equal(response.headers.location, '/');
  assert.equal(response.body.toString(), `saved ${FORM.toString()}`);
  assert.equal(response.appStatus, 0);
}

test('with FCGI_KEEP_CONN, GET, POST and GET on one connection are all answered and it stays open', HANG_GUARD, async () => {
  await withConnection(async (conn) => {
    assertPage(await conn.request(get('/', true, 1)), '/');
    assertRedirect(await conn.request(post(true, 1)));
    assertPage(await conn.request(get('/?page=2', true, 1)), '/?page=2');
    await assertStillServed(conn);
  });
});

test('without FCGI_KEEP_CONN the server closes the connection after the answer', HANG_GUARD, async () => {
  const conn = await openFcgiConnection({ host: '127.0.0.1', port });
  assertRedirect(await conn.request(post(false)));
  await conn.closed;
  assert.equal(conn.serverClosed, true);
});

test('no record for a request id arrives after its END_REQUEST, and an unused stderr sends nothing', HANG_GUARD, async () => {
  await withConnection(async (conn) => {
    const responses = [await conn.request(get('/', true, 1)), await conn.request(post(true, 2)), await conn.request(get('/about', true, 3))];
    await assertStillServed(conn);

    assert.deepEqual(
      conn.records.filter((record) => record.afterEnd),
      [],
    );
    for (const response of responses) {
      assert.equal(response.records.at(-1)?.type, FcgiType.END_REQUEST);
      assert.deepEqual(
        response.records.filter((record) => record.type === FcgiType.STDERR),
        [],
      );
    }
  });
});

test('stderr written by the handler arrives with its terminator before END_REQUEST', HANG_GUARD, async () => {
  await withConnection(async (conn) => {
    const response = await conn.request(get('/warn', true, 1));
    assertPage(response, '/warn');
    assert.equal(response.stderr.toString(), WARNING);
    const stderrLengths = response.records.filter((record) => record.type === FcgiType.STDERR).map((record) => record.length);
    assert.deepEqual(stderrLengths, [Buffer.byteLength(WARNING), 0], 'stderr data, then its empty terminator');

    await assertStillServed(conn);
    assert.deepEqual(
      conn.records.filter((record) => record.afterEnd),
      [],
    );
  });
});

test('the server turns Nagle off (TCP_NODELAY) on accepted connections', HANG_GUARD, async () => {
  const serverSideCalls: unknown[] = [];
  const original = net.Socket.prototype.setNoDelay;
  net.Socket.prototype.setNoDelay = function (this: net.Socket, noDelay?: boolean) {
    // the accepted socket is the one whose local end is the listening port
    if (this.localPort === port) serverSideCalls.push(noDelay);
    return original.call(this, noDelay);
  };
  try {
    await withConnection(async (conn) => {
      assertPage(await conn.request(get('/', false)), '/');
    });
  } finally {
    net.Socket.prototype.setNoDelay = original;
  }
  assert.ok(
    serverSideCalls.some((noDelay) => noDelay === true || noDelay === undefined),
    `setNoDelay calls on the accepted socket: ${JSON.stringify(serverSideCalls)}`,
  );
});

test('sequential round trips on a kept connection (reported, not asserted)', HANG_GUARD, async (t) => {
  const rounds = 20;
  await withConnection(async (conn) => {
    const started = process.hrtime.bigint();
    for (let round = 0; round < rounds; round++) assertPage(await conn.request(get('/', true, 1)), '/');
    const meanMs = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
    t.diagnostic(`mean round trip over ${rounds} sequential requests: ${meanMs.toFixed(2)} ms`);
  });
});
