import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { runCli } from '../support/run-cli.js';
import { isolatedDatabaseUrl } from '../support/isolated-database.js';
import { startVariantStack } from '../support/variant-stack.js';
import { baseAddress, rawHttp } from '../support/raw-http.js';
import { until } from '../support/lab-process.js';
import type { VariantResult } from '../../common/result.js';

const DATABASE_URL = isolatedDatabaseUrl('faults');
/** Error classes a fault may cause: the app gone (502, refused, reset), a thread gone (500), the database gone (503). */
const FAULT_ERRORS = /^(http-50[0-4]|refused|reset|timeout)$/;

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempOut(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-faults-'));
  tempDirs.push(dir);
  return path.join(dir, 'out');
}

function readResult(out: string, variant: string): VariantResult {
  return JSON.parse(fs.readFileSync(path.join(out, `${variant}.json`), 'utf8')) as VariantResult;
}

/** What must hold after any fault: users add up, every error has a class a fault explains, and the audit is exact. */
function assertSurvived(r: VariantResult): void {
  assert.equal(r.users.ok + r.users.failed + r.users.notStarted, r.users.scheduled, `${r.variant}: users add up`);
  assert.equal(
    Object.values(r.errors).reduce((a, b) => a + b, 0),
    r.users.failed,
    `${r.variant}: every failed user has an error class`,
  );
  for (const errorClass of Object.keys(r.errors)) assert.match(errorClass, FAULT_ERRORS, `${r.variant}: error class ${errorClass}`);
  assert.ok(r.users.ok > 0, `${r.variant}: users were served around the faults`);
  assert.equal(r.integrity.missing, 0, `${r.variant}: no accepted post is lost`);
  assert.equal(r.integrity.duplicated, 0, `${r.variant}: none is stored twice`);
  assert.equal(r.integrity.foreign, 0, `${r.variant}: no row from anywhere else`);
  assert.equal(r.integrity.ok, true, `${r.variant}: integrity ${JSON.stringify(r.integrity)}`);
}

test('kill-worker, reload-nginx and stop-app during the measured window: recorded, healed, and the audit holds', { timeout: 150_000 }, async () => {
  const out = tempOut();
  const res = await runCli(
    [
      'run',
      '--variants',
      'prefork,threaded',
      '--workers',
      '2',
      '--threads',
      '2',
      '--users',
      '120',
      '--ramp',
      '5',
      '--warmup-users',
      '0',
      '--database',
      DATABASE_URL,
      '--fault',
      'stop-app@3s,kill-worker@1s,reload-nginx@2s',
      '--out',
      out,
    ],
    { timeoutMs: 140_000 },
  );
  assert.equal(res.code, 0, res.stderr);
  const summary = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
  for (const variant of ['prefork', 'threaded']) {
    const r = readResult(out, variant);
    assertSurvived(r);
    assert.deepEqual(
      r.faults?.map((f) => f.kind),
      ['kill-worker', 'reload-nginx', 'stop-app'],
      `${variant}: each fault recorded, in order`,
    );
    const [kill, reload, stop] = r.faults!;
    for (const [fault, planned] of [
      [kill!, 1],
      [reload!, 2],
      [stop!, 3],
    ] as const) {
      // Node's timers are kept in whole milliseconds.
      assert.ok(fault.atSeconds >= planned - 0.002, `${variant}: ${fault.kind} at ${fault.atSeconds} s, not before ${planned} s`);
    }
    assert.match(
      kill!.detail,
      variant === 'prefork'
        ? /^SIGKILL to worker \d+; replaced by worker \d+ after \d+ ms$/
        : /^SIGUSR2 to \d+: one pool thread ended; new thread \d+:\d+ answering after \d+ ms$/,
    );
    assert.match(reload!.detail, /^SIGHUP to nginx master \d+; new worker \d+ after \d+ ms$/);
    const restarted = /^SIGTERM to (\d+), which exited after \d+ ms; started again as (\d+), answering through nginx after \d+ ms$/.exec(stop!.detail);
    assert.ok(restarted && restarted[1] !== restarted[2], `${variant}: the app was restarted: ${stop!.detail}`);
    assert.match(
      summary,
      new RegExp(`### ${variant}\\n(.*\\n){4}Fault: kill-worker at \\d+\\.\\ds: `),
      `${variant}: summary.md lists the faults under the variant`,
    );
  }
});

test('restart-db on a private database: recorded, and the audit still holds', { timeout: 150_000 }, async () => {
  const out = tempOut();
  const res = await runCli(
    [
      'run',
      '--variants',
      'fastcgi',
      '--workers',
      '2',
      '--users',
      '100',
      '--ramp',
      '5',
      '--warmup-users',
      '0',
      '--private-db',
      '--fault',
      'restart-db@1.5s,kill-worker@3.5s',
      '--out',
      out,
    ],
    { timeoutMs: 140_000 },
  );
  assert.equal(res.code, 0, res.stderr);
  const r = readResult(out, 'fastcgi');
  assertSurvived(r);
  assert.deepEqual(
    r.faults?.map((f) => f.kind),
    ['restart-db', 'kill-worker'],
  );
  assert.match(r.faults![0]!.detail, /^database server (\d+) stopped, (\d+) started on the same datadir and port, answering after \d+ ms$/);
  assert.match(r.faults![1]!.detail, /^SIGKILL to worker \d+; replaced by worker \d+ after \d+ ms$/);
});

test('faults the run cannot inject are refused in one line, exit 2, before anything starts', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--fault', 'restart-db@2s', '--database', DATABASE_URL], /^benchlab: option --fault restart-db needs the private database/],
    [['--fault', 'kill-worker@1s', '--variants', 'http-single-node-http'], /^benchlab: option --fault kill-worker needs a prefork worker or a pool thread/],
    [['--fault', 'crash-disk@1s'], /^benchlab: option --fault has an unknown fault "crash-disk"/],
    [['--fault', 'stop-app'], /^benchlab: option --fault must look like KIND@SECONDS/],
  ];
  for (const [args, message] of cases) {
    const res = await runCli(['run', '--users', '5', ...args, '--out', tempOut()]);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, message);
    assert.equal(res.stderr.trim().split('\n').length, 1, 'one line');
  }
});

test('SIGUSR2 to a threaded server ends one pool thread, and another takes its place', { timeout: 60_000 }, async () => {
  const stack = await startVariantStack('threaded', DATABASE_URL);
  const admin = await mysql.createConnection(DATABASE_URL);
  try {
    // Two requests held in the database at once occupy both threads, so both answer with their thread.
    const threadsServing = async (): Promise<string[]> => {
      await admin.query('LOCK TABLES entries WRITE');
      const pages = [0, 1].map(() => rawHttp(baseAddress(stack.url), { method: 'GET', path: '/' }));
      try {
        await until(
          async () => {
            const [rows] = await admin.query<mysql.RowDataPacket[]>(
              "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table%' AND DB = DATABASE()",
            );
            return Number(rows[0]!.n) >= 2;
          },
          3000,
          'both threads wait on the lock',
        ).catch(() => undefined);
      } finally {
        await admin.query('UNLOCK TABLES');
      }
      // A request given to the thread as it ends fails (500); only answered pages name a thread.
      return (await Promise.all(pages))
        .filter((p) => p.status === 200)
        .map((p) => p.headers['x-worker'] ?? '')
        .sort();
    };
    let before: string[] = [];
    await until(
      async () => {
        before = await threadsServing();
        return new Set(before).size === 2;
      },
      20_000,
      'both threads answer',
    );
    process.kill(stack.app.pid, 'SIGUSR2');
    let now: string[] = [];
    await until(
      async () => {
        now = await threadsServing();
        return new Set(now).size === 2 && now.some((w) => !before.includes(w));
      },
      20_000,
      'a new thread serves beside the one left',
    );
    assert.equal(now.filter((w) => before.includes(w)).length, 1, `one old thread and one new: ${before.join(', ')} -> ${now.join(', ')}`);
    assert.ok(
      now.every((w) => w.startsWith(`${stack.app.pid}:`)),
      'in the same process',
    );
  } finally {
    await admin.query('UNLOCK TABLES').catch(() => undefined);
    await admin.end();
    await stack.stop();
  }
});
