import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { newThreadAnswering, workersAnswering } from '../../lab/faults/injectors.js';

/** A server whose /healthz answers come from the threads `threads()` names, round robin. */
async function threadServer(threads: () => string[]): Promise<{ url: string; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    const now = threads();
    res.setHeader('X-Worker', now[n++ % now.length]!);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test('a replaced pool thread is recorded only once a new thread answers', async (t) => {
  let threads = ['100:1', '100:2'];
  const server = await threadServer(() => threads);
  t.after(() => server.close());
  const before = await workersAnswering(server.url, 8);
  assert.deepEqual([...before].sort(), ['100:1', '100:2']);
  setTimeout(() => {
    threads = ['100:2', '100:3'];
  }, 150);
  assert.equal(await newThreadAnswering(server.url, before, 8, 3000), '100:3');
});

test('a pool that never starts another thread is reported as not observed', async (t) => {
  const server = await threadServer(() => ['100:1', '100:2']);
  t.after(() => server.close());
  const before = await workersAnswering(server.url, 8);
  assert.equal(await newThreadAnswering(server.url, before, 8, 400), undefined);
});

test('an old thread that had not answered before is not taken for a new one', async (t) => {
  let threads = ['100:2'];
  const server = await threadServer(() => threads);
  t.after(() => server.close());
  const before = await workersAnswering(server.url, 4);
  threads = ['100:1', '100:2'];
  assert.equal(await newThreadAnswering(server.url, before, 4, 400), undefined);
});
