import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/run-cli.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import { startVariantStack, type VariantStack } from '../support/variant-stack.js';
import { distDir } from '../../lab/paths.js';
import type { RunInfo } from '../../report/run-info.js';
import type { Verification } from '../../common/finding.js';

let dir: string;
let manifest: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-verify-test-'));
  manifest = path.join(dir, 'broken.json');
  fs.writeFileSync(
    manifest,
    JSON.stringify([
      {
        name: 'broken-skip-insert',
        protocol: 'http',
        model: 'single',
        framework: 'node-http',
        standsFor: 'a backend that answers 302 but never inserts',
        command: {
          argv: [process.execPath, path.join(distDir, 'test', 'fixtures', 'skip-insert-server.js'), '{listen}'],
          requires: { program: process.execPath, install: 'node' },
        },
      },
      {
        name: 'broken-scenario-only',
        protocol: 'http',
        model: 'single',
        framework: 'node-http',
        standsFor: "a backend that passes verification but loses the scenario users' posts",
        command: {
          argv: [process.execPath, path.join(distDir, 'test', 'fixtures', 'skip-insert-server.js'), '{listen}', 'scenario-only'],
          requires: { program: process.execPath, install: 'node' },
        },
      },
    ]),
  );
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a backend that skips the insert fails verification, naming the contract line', { timeout: 60_000 }, async () => {
  const res = await runCli(['verify', '--manifest', manifest, '--variants', 'broken-skip-insert', '--database', TEST_DATABASE_URL, '--json']);
  assert.equal(res.code, 1, res.stderr);
  const [verification] = JSON.parse(res.stdout) as Verification[];
  assert.equal(verification!.passed, false);
  const failed = verification!.findings.filter((f) => f.status === 'fail').map((f) => f.id);
  assert.ok(failed.includes('post.inserts'), `post.inserts fails (failed: ${failed.join(', ')})`);
  assert.ok(failed.includes('post.row'), 'post.row fails');
  const passed = verification!.findings.filter((f) => f.status === 'pass').map((f) => f.id);
  assert.ok(passed.includes('reject.csrf-mismatch') && passed.includes('healthz.down'), 'the other lines are still checked');
});

test('benchlab run measures the good variant and reports the broken one as not measured', { timeout: 120_000 }, async () => {
  const out = path.join(dir, 'run');
  const res = await runCli([
    'run',
    '--manifest',
    manifest,
    '--variants',
    'broken-skip-insert,http-single-node-http',
    '--users',
    '20',
    '--ramp',
    '1',
    '--warmup-users',
    '0',
    '--database',
    TEST_DATABASE_URL,
    '--out',
    out,
  ]);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /not measured: broken-skip-insert: failed verification: .*post\.inserts/);
  assert.ok(fs.existsSync(path.join(out, 'http-single-node-http.json')));
  assert.ok(!fs.existsSync(path.join(out, 'broken-skip-insert.json')), 'the broken variant was not measured');
  const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')) as RunInfo;
  assert.equal(run.verification?.['broken-skip-insert']?.passed, false);
  assert.equal(run.verification?.['http-single-node-http']?.passed, true);
  assert.match(fs.readFileSync(path.join(out, 'summary.md'), 'utf8'), /## Not measured\n\n- broken-skip-insert: failed verification/);
});

test('a variant that passes verification but fails the one-user check is not measured, and the run goes on', { timeout: 120_000 }, async () => {
  const out = path.join(dir, 'run-check');
  const res = await runCli([
    'run',
    '--manifest',
    manifest,
    '--variants',
    'broken-scenario-only,http-single-node-http',
    '--users',
    '20',
    '--ramp',
    '1',
    '--warmup-users',
    '0',
    '--database',
    TEST_DATABASE_URL,
    '--out',
    out,
  ]);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /not measured: broken-scenario-only: failed the one-user check \(GET, POST\+302, GET\): content/);
  assert.doesNotMatch(res.stderr, /unexpected error/);
  assert.ok(fs.existsSync(path.join(out, 'http-single-node-http.json')), 'the next variant was measured');
  assert.ok(!fs.existsSync(path.join(out, 'broken-scenario-only.json')));
  const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')) as RunInfo;
  assert.equal(run.verification?.['broken-scenario-only']?.passed, true, 'it passed verification');
  assert.match(fs.readFileSync(path.join(out, 'summary.md'), 'utf8'), /## Not measured\n\n- broken-scenario-only: failed the one-user check/);
});

test('verify --target checks something already running', { timeout: 60_000 }, async () => {
  let stack: VariantStack | undefined;
  try {
    stack = await startVariantStack('fastcgi-single-express', TEST_DATABASE_URL);
    const res = await runCli(['verify', '--target', stack.url, '--expect-backend', 'fastcgi-single-express']);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /fastcgi-single-express .*: passed/);
    assert.match(res.stdout, /WARN {2}healthz\.down/, 'the 503 check is not possible from outside and says so');
    const wrong = await runCli(['verify', '--target', stack.url, '--expect-backend', 'someone-else']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /FAIL {2}headers\.backend/);
  } finally {
    await stack?.stop();
  }
});

test('every variant in the manifest passes the conformance check', { timeout: 300_000 }, async () => {
  const res = await runCli(['verify', '--variants', 'all', '--database', TEST_DATABASE_URL], { timeoutMs: 290_000 });
  assert.equal(
    res.code,
    0,
    res.stdout
      .split('\n')
      .filter((l) => /FAIL/.test(l))
      .join('\n') + res.stderr,
  );
  assert.match(res.stdout, /all 19 verified/);
});
