// The costs patched out of node-fastcgi and fastcgi-stream (patches/README.md, sections 6 to 8):
// one write per answer, requests read whole however they are cut, and no deprecated Buffer().
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgiParams, encodeNameValuePairs, encodeRecord, FcgiType, openFcgiConnection, parseCgiResponse } from '../support/fcgi-client.js';

const require = createRequire(import.meta.url);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const fcgi = require('node-fastcgi') as { createServer(handler: Handler): net.Server };

const HANG_GUARD = { timeout: 20_000 };
const PAGE = `<ol>${'<li>an entry of the guestbook</li>'.repeat(150)}</ol>`;
// Larger than a socket's 16 KiB high-water mark, so that the answer waits for 'drain' on the way.
const BIG = Buffer.alloc(200_000, 'abcdefghij');

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function answer(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url === '/echo') {
      res.setHeader('content-type', 'text/plain');
      res.end(`${body.length} ${sha(body)} ${req.headers['x-test'] ?? ''}`);
      return;
    }
    if (req.url === '/big') {
      // A long answer written over several turns of the event loop.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG.length) });
      let sent = 0;
      const next = () => {
        const piece = BIG.subarray(sent, sent + 50_000);
        sent += piece.length;
        if (sent >= BIG.length) res.end(piece);
        else res.write(piece, () => setImmediate(next));
      };
      next();
      return;
    }
    // As fastify answers: the head, the page, then end() on its own.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(PAGE)) });
    res.write(PAGE);
    res.end();
  });
}

let server: net.Server;
let port: number;
/** Writes the server made on its connections: each one a system call (writev when several buffers go at once). */
let socketWrites = 0;

before(async () => {
  server = fcgi.createServer(answer);
  server.on('connection', (socket: net.Socket) => {
    const counted = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    for (const method of ['_write', '_writev'] as const) {
      const original = counted[method];
      counted[method] = function (this: unknown, ...args: unknown[]) {
        socketWrites += 1;
        return original.apply(this, args);
      };
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('each answer leaves in one write: its FCGI_STDOUT, the terminator and FCGI_END_REQUEST together', HANG_GUARD, async () => {
  const conn = await openFcgiConnection({ host: '127.0.0.1', port });
  try {
    const rounds = 10;
    socketWrites = 0;
    for (let round = 0; round < rounds; round++) {
      const response = await conn.request({ params: cgiParams('GET', '/'), keepConn: true, id: 1 });
      assert.equal(response.status, 200);
      assert.equal(response.body.toString(), PAGE);
      assert.deepEqual(
        response.records.map((record) => record.type),
        [FcgiType.STDOUT, FcgiType.STDOUT, FcgiType.END_REQUEST],
      );
      assert.equal(response.records[1]!.length, 0, 'the second FCGI_STDOUT is the empty terminator');
    }
    // Unpatched, each record is a write of its own: three per answer.
    assert.equal(socketWrites, rounds, `${socketWrites} socket writes for ${rounds} answers`);
  } finally {
    conn.close();
    await conn.closed;
  }
});

test('a long answer written over several turns arrives whole, with FCGI_END_REQUEST last', HANG_GUARD, async () => {
  const conn = await openFcgiConnection({ host: '127.0.0.1', port });
  try {
    for (let round = 0; round < 3; round++) {
      const response = await conn.request({ params: cgiParams('GET', '/big'), keepConn: true, id: 1 });
      assert.equal(response.status, 200);
      assert.equal(sha(response.body), sha(BIG));
      assert.equal(response.records.at(-1)?.type, FcgiType.END_REQUEST);
      assert.equal(response.records.at(-2)?.length, 0, 'the stdout terminator comes right before FCGI_END_REQUEST');
    }
    assert.equal((await conn.getValues(['FCGI_MPXS_CONNS'])).FCGI_MPXS_CONNS, '1');
    assert.equal(conn.serverClosed, false);
    assert.deepEqual(
      conn.records.filter((record) => record.afterEnd),
      [],
    );
  } finally {
    conn.close();
    await conn.closed;
  }
});

/**
 * A request's records as one byte string: BEGIN_REQUEST (keep the connection), params in two
 * records (split between two pairs: fastcgi-stream reads each record's pairs on their own, and
 * nginx never splits a pair), stdin in records of at most 65535 bytes.
 */
function requestBytes(id: number, params: Record<string, string>, body: Buffer): Buffer {
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(1, 0);
  begin[2] = 1;
  const entries = Object.entries(params);
  const firstHalf = encodeNameValuePairs(Object.fromEntries(entries.slice(0, entries.length >> 1)));
  const secondHalf = encodeNameValuePairs(Object.fromEntries(entries.slice(entries.length >> 1)));
  const stdin: Buffer[] = [];
  for (let at = 0; at < body.length; at += 65_535) stdin.push(encodeRecord(FcgiType.STDIN, id, body.subarray(at, at + 65_535)));
  return Buffer.concat([
    encodeRecord(FcgiType.BEGIN_REQUEST, id, begin),
    encodeRecord(FcgiType.PARAMS, id, firstHalf),
    encodeRecord(FcgiType.PARAMS, id, secondHalf),
    encodeRecord(FcgiType.PARAMS, id),
    ...stdin,
    encodeRecord(FcgiType.STDIN, id),
  ]);
}

/** Sends bytes in pieces of `size`, each its own TCP segment, and returns the stdout of request `id` once its FCGI_END_REQUEST is in. */
async function sendInPieces(bytes: Buffer, size: number, id: number): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const stdout: Buffer[] = [];
  let pending = Buffer.alloc(0);
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8 && pending.length >= 8 + pending.readUInt16BE(4) + pending[6]!) {
        const length = pending.readUInt16BE(4);
        if (pending.readUInt16BE(2) === id && pending[1] === FcgiType.STDOUT) stdout.push(pending.subarray(8, 8 + length));
        if (pending.readUInt16BE(2) === id && pending[1] === FcgiType.END_REQUEST) resolve();
        pending = pending.subarray(8 + length + pending[6]!);
      }
    });
    socket.once('close', () => reject(new Error('connection closed before the answer')));
  });
  try {
    for (let at = 0; at < bytes.length; at += size) {
      socket.write(bytes.subarray(at, at + size));
      // a pause so that the pieces arrive as separate reads
      if (size < 64) await new Promise((resolve) => setImmediate(resolve));
      else await sleep(1);
    }
    await ended;
    return Buffer.concat(stdout);
  } finally {
    socket.destroy();
  }
}

test('a request cut into pieces of any size, records split anywhere, is read whole', HANG_GUARD, async () => {
  const small = Buffer.from('body=hello%20there&csrf=0123456789abcdef');
  const large = Buffer.alloc(150_000, 'q=1&');
  const cases = [
    { size: 1, body: small },
    { size: 5, body: small },
    { size: 8, body: small },
    { size: 9, body: small },
    { size: 1000, body: large },
    { size: 16_387, body: large },
  ];
  for (const { size, body } of cases) {
    const params = cgiParams('POST', '/echo', { contentType: 'application/x-www-form-urlencoded', contentLength: body.length });
    params['HTTP_X_TEST'] = `pieces of ${size}`;
    const stdout = await sendInPieces(requestBytes(7, params, body), size, 7);
    const response = parseCgiResponse(stdout);
    assert.equal(response.status, 200, `pieces of ${size}`);
    assert.equal(response.body.toString(), `${body.length} ${sha(body)} pieces of ${size}`);
  }
});

test('no deprecated Buffer() (DEP0005), even where --pending-deprecation reports it inside node_modules', HANG_GUARD, async () => {
  // Node checks the call stack on each of new Buffer()'s first 10,000 calls to decide whether to
  // warn; --pending-deprecation makes it warn for every caller, so one request shows any use.
  const script = `
    const net = require('node:net');
    const fcgi = require(${JSON.stringify(require.resolve('node-fastcgi'))});
    const server = fcgi.createServer((req, res) => { req.resume(); req.on('end', () => res.end('ok')); });
    server.listen(0, '127.0.0.1', () => {
      const socket = net.connect(server.address().port, '127.0.0.1', () => socket.write(Buffer.from(process.env.REQUEST, 'hex')));
      let seen = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        seen = Buffer.concat([seen, chunk]);
        for (let at = 0; at + 8 <= seen.length; at += 8 + seen.readUInt16BE(at + 4) + seen[at + 6]) {
          if (seen[at + 1] === 3) { console.log('answered'); socket.destroy(); server.close(); return; }
        }
      });
    });
  `;
  const body = Buffer.from('body=hi&csrf=x');
  const request = requestBytes(1, cgiParams('POST', '/', { contentType: 'application/x-www-form-urlencoded', contentLength: body.length }), body);
  const child = spawn(process.execPath, ['--pending-deprecation', '-e', script], { env: { ...process.env, REQUEST: request.toString('hex') } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(code, 0, stderr);
  assert.match(stdout, /answered/);
  assert.doesNotMatch(stderr, /DEP0005/);
});
