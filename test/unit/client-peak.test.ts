import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runPeak } from '../../client/peak.js';

test('the GET / peak warms up uncounted first, and dates its measured run', async () => {
  let answered = 0;
  const server = http.createServer((_req, res) => {
    answered++;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const before = Date.now();
    const result = await runPeak(url, 2, 1, 5000, 1);
    assert.equal(result.warmupSeconds, 1);
    assert.ok(result.requests > 0 && result.errors === 0 && result.non2xx === 0);
    assert.ok(answered > result.requests * 1.5, `the warm-up's answers are not counted (server ${answered}, counted ${result.requests})`);
    const started = Date.parse(result.startedAt!);
    const finished = Date.parse(result.finishedAt!);
    assert.ok(started >= before + 900, 'the measured run starts after the warm-up second');
    assert.ok(Math.abs((finished - started) / 1000 - result.durationSeconds) < 0.05);
    assert.ok(result.client !== undefined && result.client.cpuSeconds > 0 && result.client.wallSeconds >= result.durationSeconds);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
