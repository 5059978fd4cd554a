import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openReport } from '../support/headless-chromium.js';
import { runCli } from '../support/run-cli.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import { runInfoFixture, variantResultFixture } from '../support/variant-result-fixture.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-report-commands-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const runDir = path.join(root, 'run');
let runOutcome: Awaited<ReturnType<typeof runCli>>;

/** A results directory with only the JSON files of the real run (no summaries, no logs). */
function jsonCopy(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  for (const f of fs.readdirSync(runDir).filter((f) => f.endsWith('.json'))) fs.copyFileSync(path.join(runDir, f), path.join(dir, f));
  return dir;
}

before(async () => {
  runOutcome = await runCli([
    'run',
    '--variants',
    'prefork',
    '--users',
    '30',
    '--ramp',
    '1',
    '--warmup-users',
    '0',
    '--database',
    TEST_DATABASE_URL,
    '--out',
    runDir,
    '--quiet',
    '--fail-on',
    'errors>100%,p50>0.001ms',
  ]);
});

describe('benchlab run --quiet --fail-on', () => {
  test('exits 99 with one line per broken limit, and prints only the results path', () => {
    assert.equal(runOutcome.code, 99, runOutcome.stderr);
    assert.equal(runOutcome.stdout, `${runDir}\n`);
    // A busy machine may add an "invalid run" warning; the breaches are one line each.
    const lines = runOutcome.stderr
      .trimEnd()
      .split('\n')
      .filter((line) => !/: invalid run: /.test(line));
    assert.equal(lines.length, 1, `only the breach on stderr: ${runOutcome.stderr}`);
    assert.match(lines[0]!, /^benchlab: prefork breaks --fail-on p50>0\.001ms: p50 is [\d.]+ ms, [\d.]+ ms over \(\+[\d.]+%\)$/);
    assert.ok(fs.existsSync(path.join(runDir, 'report.html')), 'the results are written all the same');
  });

  test('a bad limit is a usage error before anything starts', async () => {
    const res = await runCli(['run', '--variants', 'prefork', '--fail-on', 'p99>fast', '--out', path.join(root, 'never')]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^benchlab: option --fail-on has "p99>fast"; each limit must be/);
    assert.equal(fs.existsSync(path.join(root, 'never')), false);
  });
});

describe('benchlab report DIR', () => {
  test('renders the same summary.md, summary.csv and report.html from the JSON files', async () => {
    const dir = jsonCopy('rerender');
    const res = await runCli(['report', dir]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    for (const file of ['summary.md', 'summary.csv', 'report.html']) {
      assert.match(res.stdout, new RegExp(`^${path.join(dir, file).replace(/[.]/g, '\\.')}$`, 'm'));
      assert.equal(fs.readFileSync(path.join(dir, file), 'utf8'), fs.readFileSync(path.join(runDir, file), 'utf8'), `${file} as the run wrote it`);
    }
  });

  test('without run.json it says so in one line and still renders', async () => {
    const dir = jsonCopy('no-run-json');
    fs.rmSync(path.join(dir, 'run.json'));
    const res = await runCli(['report', dir]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, `benchlab: ${dir} has no run.json; the report shows no options or environment\n`);
    assert.match(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8'), /^# benchlab: no-run-json /);
    assert.ok(fs.existsSync(path.join(dir, 'report.html')));
  });

  test('a missing dir, an empty dir and a corrupt file are usage errors that name the problem', async () => {
    const missing = await runCli(['report', path.join(root, 'nowhere')]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `benchlab: no such results directory: ${path.join(root, 'nowhere')}\n`);

    const empty = path.join(root, 'empty');
    fs.mkdirSync(path.join(empty, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(empty, 'run.json'), JSON.stringify(runInfoFixture(['prefork'])));
    const none = await runCli(['report', empty]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^benchlab: .*empty holds no variant result files/);

    const corrupt = jsonCopy('corrupt');
    fs.writeFileSync(path.join(corrupt, 'prefork.json'), '{"variant": "prefork", ');
    const bad = await runCli(['report', corrupt]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^benchlab: .*corrupt\/prefork\.json is not valid JSON/);
    assert.equal(bad.stderr.split('\n').length, 2, 'one line, no stack');
  });
});

describe('benchlab compare DIR_A DIR_B', () => {
  test('tables the change per metric, writes compare.md and compare.html into DIR_B, and the page draws', { timeout: 60_000 }, async () => {
    const slower = path.join(root, 'slower');
    fs.mkdirSync(slower);
    const result = variantResultFixture({ variant: 'prefork', users: 30, medianMs: 5_000, errors: { timeout: 3 } });
    fs.writeFileSync(path.join(slower, 'prefork.json'), JSON.stringify(result));
    fs.writeFileSync(path.join(slower, 'run.json'), JSON.stringify({ ...runInfoFixture(['prefork']), label: 'slower' }));
    const res = await runCli(['compare', runDir, slower]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^B: slower, started /m);
    assert.match(res.stdout, /^prefork\s+p50 ms\s+\S+\s+\S+\s+\+[\d.]+%\s+\S+\s+\S+\s+larger than noise: worse$/m);
    assert.match(res.stdout, /^prefork\s+errors\s+0%\s+10%\s+\+10 pts\s/m);
    const html = path.join(slower, 'compare.html');
    assert.match(fs.readFileSync(path.join(slower, 'compare.md'), 'utf8'), /^\| prefork \| p99 ms \|/m);
    const check = await openReport(html, path.join(root, 'compare.png'));
    assert.deepEqual([check.consoleErrors, check.blockedRequests, check.failedRequests], [[], [], []]);
    assert.equal(check.charts.length, 1);
    assert.ok(check.charts[0]!.width > 100 && check.charts[0]!.height > 100);
  });

  test('--out FILE.html puts the page there and the markdown beside it; anything else is refused', async () => {
    const out = path.join(root, 'pages', 'run-vs-run.html');
    const res = await runCli(['compare', runDir, runDir, '--out', out]);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(fs.existsSync(out) && fs.existsSync(path.join(root, 'pages', 'run-vs-run.md')));
    assert.match(res.stdout, /^prefork\s+p50 ms\s+(\S+)\s+\1\s+0%\s/m);
    const bad = await runCli(['compare', runDir, runDir, '--out', path.join(root, 'x.txt')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^benchlab: option --out must name an \.html file/);
  });
});
