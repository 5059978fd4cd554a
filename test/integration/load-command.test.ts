import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startVariantStack, type VariantStack } from '../support/variant-stack.js';
import { TEST_DATABASE_URL, testDatabase } from '../support/test-database.js';
import { runCli } from '../support/run-cli.js';
import type { Database } from '../../lab/database.js';
import type { LoadResult } from '../../client/result.js';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<{ statusCodeStats: Record<string, { count: number }>; errors: number; timeouts: number; requests: { total: number } }>;

describe('benchlab load against nginx in front of benchlab serve', () => {
  let stack: VariantStack;
  let db: Database;
  let dir: string;

  before(async () => {
    db = await testDatabase();
    await db.ensureSchema();
    await db.resetTable();
    stack = await startVariantStack('fastcgi', TEST_DATABASE_URL);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-load-'));
  });
  after(async () => {
    await stack?.stop();
    await db?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('writes a result whose counts add up and whose posts are all in the table', async () => {
    await db.resetTable();
    const out = path.join(dir, 'load.json');
    const res = await runCli(['load', '--target', stack.url, '--users', '40', '--ramp', '1', '--expect-backend', 'fastcgi', '--out', out]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Errors: 0 \/ 40 \(0%\)/);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as LoadResult;
    assert.equal(result.users.scheduled, 40);
    assert.equal(result.users.ok, 40);
    assert.equal(result.requests.total, 120);
    assert.equal(result.posts.accepted, 40);
    const audit = await db.auditMarkers(result.posts.acceptedMarkers);
    assert.deepEqual(audit, { rows: 40, missing: 0, duplicated: 0 });
  });

  test('--json prints the result on stdout', async () => {
    const res = await runCli(['load', '--target', stack.url, '--users', '5', '--ramp', '0', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const result = JSON.parse(res.stdout) as LoadResult;
    assert.equal(result.users.ok, 5);
  });

  test('kept-alive FastCGI under a POST load gets no 502 (autocannon, 16 connections)', async () => {
    const page = await fetch(`${stack.url}/`);
    const token = /csrftoken=([0-9a-f]{32})/.exec(page.headers.get('set-cookie') ?? '')![1]!;
    await page.text();
    const result = await autocannon({
      url: `${stack.url}/`,
      method: 'POST',
      connections: 16,
      duration: 3,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `csrftoken=${token}` },
      body: `body=keepalive+load&csrf=${token}`,
    });
    assert.ok(result.requests.total > 100, `a real load ran (${result.requests.total} requests)`);
    assert.deepEqual(Object.keys(result.statusCodeStats), ['302'], `only 302 answers: ${JSON.stringify(result.statusCodeStats)}`);
    assert.equal(result.errors, 0);
    assert.equal(result.timeouts, 0);
  });
});
