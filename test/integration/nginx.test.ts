import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { LabError } from '../../common/errors.js';
import { findNginx, nginxVersion, parseAccessLog, startNginx, type NginxServer } from '../../lab/stack/nginx.js';
import { freePort } from '../../lab/stack/ports.js';
import { isRunning } from '../support/live-process.js';
import { until } from '../support/lab-process.js';

const require = createRequire(import.meta.url);

/** The slice of node-fastcgi (CJS, untyped) used here. */
interface NodeFastcgi {
  createServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): net.Server;
}
const fcgi = require('node-fastcgi') as NodeFastcgi;

const bigBodyBytes = 300_000;

// Echoes what arrived, so the test sees that method, path and body went through nginx unchanged.
function echoHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  req.on('end', () => {
    const body = req.url === '/big' ? 'x'.repeat(bigBodyBytes) : `${req.method} ${req.url} ${received}`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Echo': 'yes' });
    res.end(body);
  });
}

function listen(server: net.Server, spec: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec, resolve);
  });
}

function closeServer(server: net.Server): Promise<void> {
  (server as http.Server).closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

function tempDir(t: TestContext, label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `benchlab-test-${label}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function nginxProcessesUsing(prefix: string): string {
  try {
    return execFileSync('pgrep', ['-af', prefix], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function assertStopsCleanly(nginx: NginxServer): Promise<void> {
  const pids = nginx.pids();
  assert.ok(pids.length >= 2, `master and a worker, got ${pids.join(',')}`);
  await nginx.stop();
  await nginx.stop();
  assert.deepEqual(pids.filter(isRunning), [], 'every nginx process is gone');
  assert.equal(nginxProcessesUsing(nginx.prefix), '');
}

/**
 * The access log once it holds `lines` entries: nginx logs a request after it has sent the response,
 * so a client that has read the response can be ahead of the log line (seen on a loaded machine).
 */
async function accessLogWith(file: string, lines: number): Promise<string> {
  const read = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  await until(
    () => parseAccessLog(read()).length >= lines,
    5000,
    () => `${lines} lines in the access log (it holds: ${read()})`,
  );
  return read();
}

test('nginx is installed and reports its version', async () => {
  assert.match(findNginx(), /\/nginx$/);
  assert.match(await nginxVersion(), /^\d+\.\d+\.\d+/);
});

test('nginx proxies HTTP to a TCP upstream and logs request and upstream times', async (t) => {
  const app = http.createServer(echoHandler);
  const appPort = await freePort();
  await listen(app, { host: '127.0.0.1', port: appPort });
  t.after(() => closeServer(app));
  // A prefix inside a private (0700) folder, as the lab's run folders are.
  const prefix = path.join(tempDir(t, 'nginx-http'), 'nginx');

  const nginx = await startNginx({
    protocol: 'http',
    upstream: { host: '127.0.0.1', port: appPort },
    listen: { host: '127.0.0.1', port: await freePort() },
    prefix,
    workers: 1,
    keepalive: 4,
  });
  t.after(() => nginx.stop());

  const get = await fetch(`${nginx.url}/hello?x=1`);
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('x-echo'), 'yes');
  assert.equal(await get.text(), 'GET /hello?x=1 0');

  // 20 kB is above the app's own limit: nginx must let it through so the app can answer 413 itself.
  const post = await fetch(`${nginx.url}/`, { method: 'POST', body: 'b'.repeat(20_000), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(await post.text(), 'POST / 20000');

  const big = await fetch(`${nginx.url}/big`);
  assert.equal((await big.text()).length, bigBodyBytes, 'a page larger than the proxy buffers arrives whole');

  const logText = await accessLogWith(nginx.accessLog, 3);
  assert.match(logText, /"GET \/hello\?x=1 HTTP\/1\.1" 200 \d+ rt=\d+\.\d{3} urt=\d+\.\d{3} uct=/);
  const entries = parseAccessLog(logText);
  assert.equal(entries.length, 3);
  assert.deepEqual(
    entries.map((entry) => [entry.method, entry.path, entry.status]),
    [
      ['GET', '/hello?x=1', 200],
      ['POST', '/', 200],
      ['GET', '/big', 200],
    ],
  );
  assert.ok(entries.every((entry) => entry.upstreamTimeMs !== null && entry.requestTimeMs >= 0));
  assert.equal(nginx.errorLog, path.join(prefix, 'logs', 'error.log'));

  await assertStopsCleanly(nginx);
  assert.ok(fs.existsSync(nginx.accessLog), 'a given prefix is kept for its logs');
});

test('nginx proxies HTTP to a unix socket upstream', async (t) => {
  const socketDir = tempDir(t, 'nginx-unix');
  // nginx workers run as an unprivileged user: they must reach the socket's folder and the socket.
  fs.chmodSync(socketDir, 0o755);
  const socketPath = path.join(socketDir, 'app.sock');
  const app = http.createServer(echoHandler);
  await listen(app, { path: socketPath, readableAll: true, writableAll: true });
  t.after(() => closeServer(app));

  const nginx = await startNginx({
    protocol: 'http',
    upstream: { path: socketPath },
    listen: { host: '127.0.0.1', port: await freePort() },
    workers: 2,
    keepalive: 4,
  });
  t.after(() => nginx.stop());

  const response = await fetch(`${nginx.url}/via-socket`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'GET /via-socket 0');
  const pids = nginx.pids();
  assert.equal(pids.length, 3, 'master and two workers');
  await assertStopsCleanly(nginx);
  assert.equal(fs.existsSync(nginx.prefix), false, 'a prefix made by startNginx is removed on stop');
});

test('nginx speaks FastCGI to node-fastcgi with kept connections', async (t) => {
  const app = fcgi.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
  });
  const sockets = new Set<net.Socket>();
  app.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const appPort = await freePort();
  await listen(app, { host: '127.0.0.1', port: appPort });
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return closeServer(app);
  });

  const nginx = await startNginx({
    protocol: 'fastcgi',
    upstream: { host: '127.0.0.1', port: appPort },
    listen: { host: '127.0.0.1', port: await freePort() },
    workers: 1,
    keepalive: 4,
  });
  t.after(() => nginx.stop());

  const response = await fetch(`${nginx.url}/`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'ok');
  const [entry] = parseAccessLog(await accessLogWith(nginx.accessLog, 1));
  assert.equal(entry?.status, 200);
  assert.notEqual(entry?.upstreamTimeMs, null);
  assert.match(fs.readFileSync(nginx.accessLog, 'utf8'), / rt=\S+ urt=\S+ /);
  await assertStopsCleanly(nginx);
});

test("a config nginx rejects gives a LabError with nginx's own message", async (t) => {
  const prefix = path.join(tempDir(t, 'nginx-bad'), 'nginx');
  const tooLongSocket = `/tmp/${'s'.repeat(200)}.sock`;
  await assert.rejects(
    startNginx({
      protocol: 'http',
      upstream: { path: tooLongSocket },
      listen: { host: '127.0.0.1', port: await freePort() },
      prefix,
      workers: 1,
      keepalive: 4,
    }),
    (error: unknown) => {
      assert.ok(error instanceof LabError);
      assert.equal(error.code, 'BL_ERR_START');
      assert.match(error.message, /^nginx config check failed: \[emerg\] .*unix domain socket/);
      return true;
    },
  );
  assert.equal(nginxProcessesUsing(prefix), '');
});

test('a busy listen port fails fast with a LabError', async (t) => {
  const blocker = net.createServer();
  const port = await freePort();
  await listen(blocker, { host: '127.0.0.1', port });
  t.after(() => closeServer(blocker));
  const started = Date.now();
  await assert.rejects(
    startNginx({
      protocol: 'http',
      upstream: { host: '127.0.0.1', port: 1 },
      listen: { host: '127.0.0.1', port },
      workers: 1,
      keepalive: 4,
      portOption: '--nginx-port',
    }),
    { name: 'LabError', code: 'BL_ERR_PORT_BUSY', message: `port ${port} on 127.0.0.1 is busy (--nginx-port)` },
  );
  assert.ok(Date.now() - started < 5000);
});
