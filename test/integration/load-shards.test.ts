import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useVariantStack } from '../support/stack-fixture.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import { runCli } from '../support/run-cli.js';
import type { LoadResult, VariantResult } from '../../common/result.js';
import type { RunInfo } from '../../report/run-info.js';

// What compose does with scaled clients, on loopback: two clients start one schedule together, each
// writes its own shard into one folder, and `benchlab merge` adds them up and audits the table.
describe('client shards with a common start, merged', () => {
  const fixture = useVariantStack('prefork');

  test('two clients write two shards that merge into exact, audited totals and a run.json', async () => {
    const shardDir = path.join(fixture.dir, 'shards', 'prefork');
    const startAt = new Date(Date.now() + 3_000).toISOString();
    const client = () =>
      runCli([
        'load',
        '--target',
        fixture.stack.url,
        '--users',
        '30',
        '--ramp',
        '1',
        '--expect-backend',
        'prefork',
        '--label',
        'prefork',
        '--wait-for-target',
        '20',
        '--start-at',
        startAt,
        '--meta',
        'app_cpus=1',
        '--meta',
        'app_memory=1g',
        '--quiet',
        '--out',
        `${shardDir}/`,
      ]);
    const outcomes = await Promise.all([client(), client()]);
    for (const outcome of outcomes) assert.equal(outcome.code, 0, outcome.stderr);

    const files = fs.readdirSync(shardDir);
    assert.equal(files.length, 2, `one shard per client: ${files.join(', ')}`);
    for (const file of files) {
      assert.match(file, /^shard-.+-\d+\.json$/);
      const shard = JSON.parse(fs.readFileSync(path.join(shardDir, file), 'utf8')) as LoadResult;
      assert.ok(Date.parse(shard.startedAt) >= Date.parse(startAt), `${file} started ${shard.startedAt}, not before ${startAt}`);
      assert.deepEqual(shard.meta, { app_cpus: '1', app_memory: '1g' });
      assert.equal(shard.users.ok, 30);
    }

    const out = path.join(fixture.dir, 'compare', 'prefork.json');
    const merged = await runCli(['merge', shardDir, '--out', out, '--database', TEST_DATABASE_URL, '--label', 'compose']);
    assert.equal(merged.code, 0, merged.stderr);
    assert.match(merged.stdout, /2 shards of prefork merged/);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as VariantResult;
    assert.deepEqual(result.users, { scheduled: 60, ok: 60, failed: 0, notStarted: 0, peakInFlight: result.users.peakInFlight });
    assert.equal(result.sessionTimeUs.count, 60);
    assert.equal(result.requests.total, 180);
    assert.equal(result.posts.acceptedMarkers.length, 60);
    assert.deepEqual(
      { rows: result.integrity.rows, missing: result.integrity.missing, ok: result.integrity.ok, audited: result.integrity.audited },
      { rows: 60, missing: 0, ok: true, audited: true },
    );

    const run = JSON.parse(fs.readFileSync(path.join(fixture.dir, 'compare', 'run.json'), 'utf8')) as RunInfo;
    assert.equal(run.label, 'compose');
    assert.deepEqual(run.variants, ['prefork']);
    assert.deepEqual(run.options['meta'], { app_cpus: '1', app_memory: '1g' });
    assert.equal((run.options['merged'] as Record<string, { shards: number }>)['prefork']?.shards, 2);

    const unaudited = await runCli(['merge', shardDir, '--json']);
    assert.equal(unaudited.code, 0, unaudited.stderr);
    assert.equal((JSON.parse(unaudited.stdout) as VariantResult).integrity.audited, false);
  });

  test('event loops of two processes take exactly their shares, and merge into audited totals', async () => {
    await fixture.db.resetTable();
    const shardDir = path.join(fixture.dir, 'threads');
    const client = (shard: string, threads: string) =>
      runCli([
        'load',
        '--target',
        fixture.stack.url,
        '--users',
        '31',
        '--ramp',
        '1',
        '--shard',
        shard,
        '--threads',
        threads,
        '--expect-backend',
        'prefork',
        '--label',
        'prefork',
        '--quiet',
        '--out',
        `${shardDir}/`,
      ]);
    const outcomes = await Promise.all([client('0/2', '3'), client('1/2', '2')]);
    for (const outcome of outcomes) assert.equal(outcome.code, 0, outcome.stderr);
    const shards = fs.readdirSync(shardDir).map((file) => JSON.parse(fs.readFileSync(path.join(shardDir, file), 'utf8')) as LoadResult);
    assert.deepEqual(shards.map((s) => s.users.scheduled).sort(), [15, 16]);
    assert.deepEqual(shards.map((s) => s.client?.eventLoops).sort(), [2, 3]);
    for (const s of shards) {
      assert.equal(s.users.ok, s.users.scheduled);
      assert.equal(s.sessionTimeUs.count, s.users.ok, 'one merged histogram holds the users of every thread');
      assert.equal(
        s.timeline.reduce((sum, t) => sum + (t.planned ?? 0), 0),
        s.users.scheduled,
      );
    }
    const merged = await runCli(['merge', shardDir, '--json', '--database', TEST_DATABASE_URL]);
    assert.equal(merged.code, 0, merged.stderr);
    const result = JSON.parse(merged.stdout) as VariantResult;
    assert.equal(result.users.ok, 31);
    assert.equal(new Set(result.posts.acceptedMarkers).size, 31);
    assert.deepEqual({ rows: result.integrity.rows, ok: result.integrity.ok }, { rows: 31, ok: true });
  });

  test('more event loops than users or connections is refused before any user is sent', async () => {
    const before = await fixture.db.countRows();
    const cases: Array<[string[], RegExp]> = [
      [['--users', '3', '--threads', '4'], /^benchlab: option --threads is 4, more than this client's 3 users: every thread needs one/],
      [['--mode', 'closed', '--connections', '2', '--duration', '1', '--threads', '3'], /^benchlab: option --threads is 3, more than --connections 2/],
      [['--mode', 'peak', '--threads', '2'], /^benchlab: option --threads applies to the scenario/],
      [['--threads', '0'], /^benchlab: option --threads must be/],
    ];
    for (const [args, message] of cases) {
      const res = await runCli(['load', '--target', fixture.stack.url, ...args]);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message);
      assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(await fixture.db.countRows(), before);
  });

  test('a start time already past is refused before any user is sent', async () => {
    const before = await fixture.db.countRows();
    const res = await runCli(['load', '--target', fixture.stack.url, '--users', '5', '--start-at', new Date(Date.now() - 60_000).toISOString()]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^benchlab: option --start-at is \d+\.\d s in the past/);
    assert.equal(await fixture.db.countRows(), before);
  });

  test('merge refuses shards of two variants', async () => {
    const a = path.join(fixture.dir, 'a.json');
    const b = path.join(fixture.dir, 'b.json');
    for (const [file, label] of [
      [a, 'prefork'],
      [b, 'threaded'],
    ] as const) {
      const res = await runCli(['load', '--target', fixture.stack.url, '--users', '2', '--ramp', '0', '--label', label, '--quiet', '--out', file]);
      assert.equal(res.code, 0, res.stderr);
    }
    const res = await runCli(['merge', a, b]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^benchlab: cannot merge shards of different variants: "prefork" in .*a\.json, "threaded" in .*b\.json/);
  });
});
