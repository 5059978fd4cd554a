import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, settled } from '../support/run-cli.js';
import { tempOutputs } from '../support/temp-dirs.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import type { VariantResult } from '../../common/result.js';
import type { RunInfo } from '../../report/run-info.js';

const VARIANTS = ['prefork', 'threaded', 'fastcgi'];

const tempOut = tempOutputs('benchlab-e2e');

test('benchlab run measures the three variants and writes consistent results', { timeout: 180_000 }, async () => {
  const out = tempOut('run');
  const res = await runCli([
    'run',
    '--variants',
    VARIANTS.join(','),
    '--users',
    '60',
    '--ramp',
    '3',
    '--warmup-users',
    '10',
    '--database',
    TEST_DATABASE_URL,
    '--out',
    out,
  ]);
  assert.equal(res.code, 0, res.stderr);
  for (const v of VARIANTS)
    assert.match(res.stdout, new RegExp(`^${v}\\nMin time: \\d+\\.\\d{3}s\\nMax time: .*\\nAverage Time: .*\\nErrors: \\d+ / 60 `, 'm'));

  const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')) as RunInfo;
  assert.deepEqual(run.variants, VARIANTS);
  assert.equal(run.environment.node, process.version);
  assert.match(run.environment.nginx, /^\d+\.\d+/);
  assert.ok(run.environment.database.length > 0);
  assert.ok(run.environment.cores >= 1);
  assert.equal(run.options['users'], 60);

  for (const v of VARIANTS) {
    const r = JSON.parse(fs.readFileSync(path.join(out, `${v}.json`), 'utf8')) as VariantResult;
    assert.equal(r.variant, v);
    assert.equal(r.users.scheduled, 60);
    assert.equal(r.users.ok + r.users.failed + r.users.notStarted, r.users.scheduled, `${v}: users add up`);
    assert.equal(
      Object.values(r.errors).reduce((a, b) => a + b, 0),
      r.users.failed,
      `${v}: error classes add up`,
    );
    assert.ok(r.users.ok > 0, `${v}: some users succeeded`);
    assert.ok(r.requests.total >= r.users.ok * 3, `${v}: three requests per ok user`);
    for (const t of [r.sessionTimeUs, r.stepTimeUs.get, r.stepTimeUs.post, r.stepTimeUs.redirect]) {
      assert.ok(t.min <= t.p50 && t.p50 <= t.p90 && t.p90 <= t.p99 && t.p99 <= t.p999 && t.p999 <= t.max, `${v}: percentiles ordered`);
      assert.ok(t.histogram.length > 0);
    }
    assert.equal(r.sessionTimeUs.count, r.users.ok);
    assert.deepEqual(Object.keys(r.backends), [v], `${v}: only ${v} answered`);
    assert.equal(r.integrity.ok, true, `${v}: integrity ${JSON.stringify(r.integrity)}`);
    assert.equal(r.integrity.rows, r.integrity.postsAccepted);
    assert.ok(r.server !== null && r.server.cpuSeconds > 0 && r.server.rssPeakBytes > 0 && r.server.rssMeanBytes > 0, `${v}: server cost sampled`);
    assert.ok(r.nginx !== null && r.nginx.rssPeakBytes > 0, `${v}: nginx sampled`);
    assert.ok(r.database !== null && r.database.cpuSeconds > 0 && r.database.rssPeakBytes > 0, `${v}: the machine's database, on loopback, sampled`);
  }

  const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
  for (const v of VARIANTS) assert.match(md, new RegExp(`### ${v}\\nMin time: `));
  const csv = fs.readFileSync(path.join(out, 'summary.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 1 + VARIANTS.length);

  assert.deepEqual(await settled(out), [], 'no process of the run remains');
});

test('several client processes of several event loops boot during the warm-up and start the measured load together', { timeout: 120_000 }, async () => {
  const out = tempOut('procs');
  const res = await runCli([
    'run',
    '--variants',
    'threaded',
    '--users',
    '41',
    '--ramp',
    '2',
    '--warmup-users',
    '5',
    '--client-procs',
    '2',
    '--client-threads',
    '2',
    '--max-active',
    '9',
    '--database',
    TEST_DATABASE_URL,
    '--out',
    out,
  ]);
  assert.equal(res.code, 0, res.stderr);
  const shards = [0, 1].map((k) => JSON.parse(fs.readFileSync(path.join(out, 'logs', `threaded.c${k}.load.json`), 'utf8')) as VariantResult);
  assert.deepEqual(
    shards.map((s) => s.users.scheduled),
    [21, 20],
  );
  assert.deepEqual(
    shards.map((s) => s.options.maxActive),
    [5, 4],
    'the in-flight cap is split between the processes',
  );
  assert.deepEqual(
    shards.map((s) => [s.client?.processes, s.client?.eventLoops]),
    [
      [1, 2],
      [1, 2],
    ],
  );
  // Both loops of a client process share its one client CPU.
  assert.deepEqual(
    shards.map((s) => s.client?.cpus),
    [1, 1],
  );
  const starts = shards.map((s) => Date.parse(s.startedAt));
  assert.ok(Math.abs(starts[0]! - starts[1]!) < 250, `the shards started ${Math.abs(starts[0]! - starts[1]!)} ms apart`);
  const merged = JSON.parse(fs.readFileSync(path.join(out, 'threaded.json'), 'utf8')) as VariantResult;
  assert.equal(merged.users.scheduled, 41);
  assert.equal(merged.users.ok, 41);
  assert.equal(merged.options.maxActive, 9);
  assert.deepEqual([merged.client?.processes, merged.client?.eventLoops], [2, 4]);
  assert.equal(merged.client?.cpus, 1, 'the two processes share the one client CPU: the saturation check divides by it');
  assert.equal(
    merged.timeline.reduce((sum, s) => sum + (s.planned ?? 0), 0),
    41,
    'the planned arrivals survive the merge',
  );
  assert.equal(merged.integrity.ok, true);
  assert.deepEqual(await settled(out), [], 'no process of the run remains');
});

test('the closed model keeps C users busy for the duration and adds the GET / peak', { timeout: 120_000 }, async () => {
  const out = tempOut('closed');
  const res = await runCli([
    'run',
    '--variants',
    'threaded',
    '--mode',
    'closed',
    '--connections',
    '5',
    '--duration',
    '2',
    '--warmup-users',
    '5',
    '--client-procs',
    '2',
    '--database',
    TEST_DATABASE_URL,
    '--out',
    out,
  ]);
  assert.equal(res.code, 0, res.stderr);
  const r = JSON.parse(fs.readFileSync(path.join(out, 'threaded.json'), 'utf8')) as VariantResult;
  assert.ok(r.users.scheduled > 8, `users went round (${r.users.scheduled})`);
  assert.equal(r.users.ok + r.users.failed + r.users.notStarted, r.users.scheduled);
  assert.ok((r.users.peakInFlight ?? 0) <= 5, `at most the 5 connections' users in flight (${r.users.peakInFlight})`);
  assert.equal(r.options.connections, 5, 'the pools of the two processes add up to the whole run');
  assert.equal(r.integrity.ok, true, JSON.stringify(r.integrity));
  assert.ok(r.peak !== undefined && r.peak.requestsPerSecond > 0 && r.peak.connections === 5, `GET / peak: ${JSON.stringify(r.peak)}`);
  assert.deepEqual(await settled(out), [], 'no process of the run remains');
});

test('SIGTERM mid-run stops every process and removes the private database', { timeout: 180_000 }, async () => {
  const out = tempOut('interrupted');
  const before = new Set(fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('benchlab-db-')));
  const res = await runCli(['run', '--variants', 'prefork', '--users', '2000', '--ramp', '20', '--warmup-users', '0', '--private-db', '--out', out], {
    signalWhen: /prefork: 2000 users over/,
    signal: 'SIGTERM',
  });
  assert.equal(res.code, 130, res.stderr);
  assert.match(res.stderr, /interrupted by SIGTERM/);
  assert.deepEqual(await settled(out), [], 'nothing started by the run survives');
  const after = fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('benchlab-db-') && !before.has(d));
  assert.deepEqual(after, [], 'the private datadir is removed');
});

test('bad usage gets one clear line and exit code 2, and starts nothing', async () => {
  const cases: Array<[string[], RegExp, NodeJS.ProcessEnv?]> = [
    [['run', '--variants', 'nope'], /^benchlab: unknown variant "nope" \(see `benchlab variants`/],
    [['run', '--users', 'many'], /^benchlab: option --users must be a whole number \(got "many"\)/],
    [['run', '--ramp', '-3'], /^benchlab: option --ramp must be a duration/],
    [['run', '--stages', '2s:5', '--users', '4'], /^benchlab: option --stages sets the arrivals itself: leave out --users and --ramp/],
    [['run', '--stages', '2s'], /^benchlab: option --stages must be a list of DURATION:RATE/],
    [['run', '--server-cpus', '0', '--client-cpus', '0'], /^benchlab: option --client-cpus shares CPUs with --server-cpus/],
    [['run', '--database', 'mysql://root@127.0.0.1:1/none', '--users', '5'], /^benchlab: cannot reach the database at 127\.0\.0\.1:1/],
    [['run', '--users', '5'], /^benchlab: nginx not found at \/nonexistent\/nginx/, { BENCHLAB_NGINX: '/nonexistent/nginx' }],
    [
      ['serve', '--variant', 'prefork', '--listen', '127.0.0.1:3306', '--database', TEST_DATABASE_URL],
      /^benchlab: port 3306 on 127\.0\.0\.1 is busy \(--listen\)/,
    ],
    [['serve', '--variant', 'prefork', '--listen', 'nowhere', '--database', TEST_DATABASE_URL], /^benchlab: option --listen must be HOST:PORT or unix:/],
    [['load', '--target', 'http://127.0.0.1:1', '--users', 'x'], /^benchlab: option --users must be/],
    [['frobnicate'], /^benchlab: unknown command 'frobnicate'/],
  ];
  for (const [args, message, env] of cases) {
    const res = await runCli(args, env ? { env } : {});
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, message, args.join(' '));
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
  }
});
