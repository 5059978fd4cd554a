import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { useVariantStack } from '../support/stack-fixture.js';
import { runCli } from '../support/run-cli.js';
import type { LoadResult } from '../../common/result.js';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (
  opts: Record<string, unknown>,
) => Promise<{ statusCodeStats: Record<string, { count: number }>; errors: number; timeouts: number; requests: { total: number } }>;

describe('benchlab load against nginx in front of benchlab serve', () => {
  const fixture = useVariantStack('fastcgi');

  test('writes a result whose counts add up and whose posts are all in the table', async () => {
    await fixture.db.resetTable();
    const out = path.join(fixture.dir, 'load.json');
    const res = await runCli(['load', '--target', fixture.stack.url, '--users', '40', '--ramp', '1', '--expect-backend', 'fastcgi', '--out', out]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Errors: 0 \/ 40 \(0%\)/);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as LoadResult;
    assert.equal(result.users.scheduled, 40);
    assert.equal(result.users.ok, 40);
    assert.equal(result.requests.total, 120);
    assert.equal(result.posts.accepted, 40);
    const audit = await fixture.db.auditMarkers(result.posts.acceptedMarkers);
    assert.deepEqual(audit, { rows: 40, missing: 0, duplicated: 0 });
  });

  test('--warmup-users runs uncounted users first, before a common start time', async () => {
    await fixture.db.resetTable();
    const out = path.join(fixture.dir, 'warm.json');
    const startAt = Date.now() + 4_000;
    const res = await runCli([
      'load',
      '--target',
      fixture.stack.url,
      '--users',
      '10',
      '--ramp',
      '0',
      '--warmup-users',
      '6',
      '--start-at',
      String(startAt),
      '--run-tag',
      'warm-test',
      '--expect-backend',
      'fastcgi',
      '--out',
      out,
    ]);
    assert.equal(res.code, 0, res.stderr);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as LoadResult;
    assert.equal(result.users.scheduled, 10, 'the warm-up users are not counted');
    assert.equal(result.users.ok, 10);
    assert.ok(Date.parse(result.startedAt) >= startAt - 50, 'the measured users started at the common start, after the warm-up');
    const audit = await fixture.db.auditMarkers(result.posts.acceptedMarkers);
    assert.equal(audit.rows, 16, 'the warm-up users posted too');
    assert.equal(audit.missing, 0);
    const bad = await runCli(['load', '--target', fixture.stack.url, '--warmup-users', 'some']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^benchlab: option --warmup-users must be a whole number/);
  });

  test("--self-warm-users warms the client's code on a stand-in in its own process, sending the target nothing more", async () => {
    /** Ten measured users after the self-warm, into an emptied table; the result file they wrote. */
    const selfWarmed = async (name: string, more: string[]): Promise<LoadResult> => {
      await fixture.db.resetTable();
      const out = path.join(fixture.dir, `${name}.json`);
      const res = await runCli(['load', '--target', fixture.stack.url, '--users', '10', '--ramp', '0.5', ...more, '--expect-backend', 'fastcgi', '--out', out]);
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(fs.readFileSync(out, 'utf8')) as LoadResult;
    };
    const result = await selfWarmed('self-warm', ['--self-warm-users', '400']);
    assert.equal(result.users.scheduled, 10);
    assert.equal(result.users.ok, 10);
    assert.deepEqual(result.backends, { fastcgi: 30 }, 'only the measured users reached the target');
    const audit = await fixture.db.auditMarkers(result.posts.acceptedMarkers);
    assert.deepEqual(audit, { rows: 10, missing: 0, duplicated: 0 }, 'and only their posts are in the table');
    // With several event loops, each warms its own code (an isolate has a JIT of its own): still nothing more for the target.
    const loopsResult = await selfWarmed('self-warm-loops', ['--self-warm-users', '200', '--threads', '2']);
    assert.equal(loopsResult.client?.eventLoops, 2);
    assert.equal(loopsResult.users.ok, 10);
    assert.deepEqual(loopsResult.backends, { fastcgi: 30 }, 'only the measured users of both loops reached the target');
    assert.deepEqual(await fixture.db.auditMarkers(loopsResult.posts.acceptedMarkers), { rows: 10, missing: 0, duplicated: 0 });
  });

  test('--json prints the result on stdout', async () => {
    const res = await runCli(['load', '--target', fixture.stack.url, '--users', '5', '--ramp', '0', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const result = JSON.parse(res.stdout) as LoadResult;
    assert.equal(result.users.ok, 5);
  });

  test('kept-alive FastCGI under a POST load gets no 502 (autocannon, 16 connections)', async () => {
    const page = await fetch(`${fixture.stack.url}/`);
    const token = /csrftoken=([0-9a-f]{32})/.exec(page.headers.get('set-cookie') ?? '')![1]!;
    await page.text();
    const result = await autocannon({
      url: `${fixture.stack.url}/`,
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
