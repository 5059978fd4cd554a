import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { GetLoop, plainGetRequest } from '../../client/get-loop.js';
import { runPeak } from '../../client/peak.js';

async function listen(server: http.Server | net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: http.Server | net.Server): Promise<void> {
  if (server instanceof http.Server) server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the GET / peak sends what wrk sends: the request line and a Host header', () => {
  assert.equal(plainGetRequest(new URL('http://127.0.0.1:8080/')).toString('latin1'), 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n');
  assert.equal(plainGetRequest(new URL('http://example.test/a?b=1')).toString('latin1'), 'GET /a?b=1 HTTP/1.1\r\nHost: example.test\r\n\r\n');
});

test('the GET / peak warms up uncounted first, and counts only what the server answered in its measured window', async () => {
  // When the server answered each request, by the same clock the result's window is dated with.
  const answeredAtMs: number[] = [];
  const server = http.createServer((_req, res) => {
    answeredAtMs.push(Date.now());
    res.end('ok');
  });
  const url = await listen(server);
  try {
    const before = Date.now();
    const result = await runPeak(url, 2, 1, 5000, 1);
    assert.equal(result.tool, 'benchlab');
    assert.equal(result.warmupSeconds, 1);
    assert.ok(result.requests > 0 && result.errors === 0 && result.non2xx === 0);
    const started = Date.parse(result.startedAt!);
    const finished = Date.parse(result.finishedAt!);
    // A counted request was sent after the start and its answer read before the end, so the server
    // answered it in between: the count can never exceed the server's answers in the window.
    const inWindow = answeredAtMs.filter((at) => at >= started && at <= finished).length;
    assert.ok(result.requests <= inWindow, `counted ${result.requests}, the server answered ${inWindow} in the measured window`);
    const warmUp = answeredAtMs.filter((at) => at < started).length;
    assert.ok(warmUp > 0, 'the warm-up was answered before the measured window, uncounted');
    assert.ok(started >= before + 900, 'the measured run starts after the warm-up second');
    assert.ok(Math.abs((finished - started) / 1000 - result.durationSeconds) < 0.05);
    assert.ok(result.latencyMs.p50 > 0 && result.latencyMs.p50 <= result.latencyMs.p99 && result.latencyMs.p99 <= result.latencyMs.max);
    assert.ok(result.client !== undefined && result.client.cpuSeconds > 0 && result.client.wallSeconds >= result.durationSeconds);
  } finally {
    await close(server);
  }
});

test('the GET / peak counts non-2xx answers, and connects again when the server closes after an answer', async () => {
  let connections = 0;
  const server = http.createServer((_req, res) => {
    res.writeHead(503, { connection: 'close' });
    res.end('busy');
  });
  server.on('connection', () => connections++);
  const url = await listen(server);
  try {
    const loop = new GetLoop(url, 2, 5000);
    loop.start();
    await sleep(300);
    const counts = loop.stop();
    assert.ok(counts.requests > 2, `answers: ${counts.requests}`);
    assert.equal(counts.non2xx, counts.requests);
    assert.equal(counts.errors, 0);
    assert.ok(connections >= counts.requests, `one connection per answer: ${connections} for ${counts.requests}`);
  } finally {
    await close(server);
  }
});

test('the GET / peak counts refused connections and requests past their deadline as errors, and keeps going', async () => {
  // Nothing listens on a port just freed.
  const probe = net.createServer();
  const refused = await listen(probe);
  await close(probe);
  const refusing = new GetLoop(refused, 2, 5000);
  refusing.start();
  await sleep(200);
  const refusedCounts = refusing.stop();
  assert.equal(refusedCounts.requests, 0);
  assert.ok(refusedCounts.errors >= 2, `errors: ${refusedCounts.errors}`);

  // A server that reads requests and never answers.
  const silent = net.createServer((socket) => socket.resume());
  const url = await listen(silent);
  try {
    const loop = new GetLoop(url, 2, 50);
    loop.start();
    await sleep(400);
    const counts = loop.stop();
    assert.equal(counts.requests, 0);
    assert.ok(counts.timeouts >= 2, `timeouts: ${counts.timeouts}`);
  } finally {
    await close(silent);
  }
});
