import os from 'node:os';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openReport } from '../support/headless-chromium.js';
import { runCli, settled } from '../support/run-cli.js';
import { tempOutputs } from '../support/temp-dirs.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import { nextRate } from '../../lab/capacity/search.js';
import { parseSlo, sloBreaks } from '../../common/slo.js';
import { cliPath } from '../../lab/paths.js';
import type { CapacityReport } from '../../report/capacity-result.js';
import type { VariantResult } from '../../common/result.js';
import type { RunInfo } from '../../report/run-info.js';

// A database of its own, on the test server, so no other test's table is emptied under it.
const DATABASE_URL = TEST_DATABASE_URL.replace(/\/[^/?]*(\?.*)?$/, '/benchlab_capacity_test$1');
const VARIANT = 'http-single-node-http';
const ESC = '\x1b';

const tempOut = tempOutputs('benchlab-capacity');

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

describe('benchlab capacity', () => {
  test('steps the rate up on one running variant and writes a consistent capacity.json', { timeout: 90_000 }, async () => {
    const out = tempOut('capacity');
    const args = [
      'capacity',
      '--variants',
      VARIANT,
      '--start-rate',
      '20',
      '--max-rate',
      '80',
      '--step-seconds',
      '1',
      '--warmup-users',
      '10',
      '--database',
      DATABASE_URL,
      '--out',
      out,
    ];
    const res = await runCli(args, { timeoutMs: 60_000 });
    assert.equal(res.code, 0, res.stderr);

    const capacity = readJson<CapacityReport>(path.join(out, 'capacity.json'));
    assert.equal(capacity.slo, 'errors<1%,p99<1s');
    assert.deepEqual([capacity.startRate, capacity.maxRate, capacity.stepSeconds, capacity.maxSteps], [20, 80, 1, 14]);
    assert.equal(capacity.variants.length, 1);
    const v = capacity.variants[0]!;
    assert.equal(v.variant, VARIANT);
    assert.ok(v.steps.length >= 1 && v.steps.length <= 10);

    // The steps are the search's own sequence: replaying it gives the same rates and the same end.
    const search = { startRate: 20, maxRate: 80, maxSteps: 14, precision: 0.1, confirmations: 2, minRate: 1 };
    for (const [i, step] of v.steps.entries()) assert.deepEqual(nextRate(v.steps.slice(0, i), search), { rate: step.rate }, `step ${i + 1}`);
    assert.deepEqual(nextRate(v.steps, search), { done: v.searchEnd });
    // A rate counts only if it held every time it was measured (the search confirms the one it found).
    const passed = v.steps.filter((s) => v.steps.every((t) => t.rate !== s.rate || t.pass)).map((s) => s.rate);
    assert.equal(v.capacity, passed.length > 0 ? Math.max(...passed) : null);

    const slo = parseSlo(capacity.slo);
    for (const [i, step] of v.steps.entries()) {
      const nth = v.steps.slice(0, i).filter((s) => s.rate === step.rate).length + 1;
      assert.equal(step.file, nth === 1 ? `${VARIANT}.${step.rate}.json` : `${VARIANT}.${step.rate}.${nth}.json`);
      const result = readJson<VariantResult>(path.join(out, step.file));
      assert.equal(result.variant, VARIANT);
      assert.equal(result.users.scheduled, step.rate);
      assert.equal(step.users, step.rate);
      assert.equal(result.users.ok + result.users.failed + result.users.notStarted, result.users.scheduled);
      assert.equal(result.integrity.ok, true, `${step.rate}: integrity ${JSON.stringify(result.integrity)}`);
      assert.equal(result.integrity.rows, result.integrity.postsAccepted, `${step.rate}: only this step's posts in the table`);
      assert.equal(step.integrityOk, true);
      // Each step followed a continuous load at its own rate.
      assert.ok(step.leadIn !== undefined && step.leadIn.seconds > 0, `${step.rate}: led in`);
      assert.equal(result.warmup?.rate, step.rate, `${step.rate}: the warm-up record's seconds are the step's lead-in`);
      assert.equal(step.pass, sloBreaks(result, slo).length === 0, `${step.rate}: verdict matches the result`);
      assert.ok(Math.abs(step.errorsPercent - (100 * result.users.failed) / result.users.scheduled) < 0.001);
    }

    const run = readJson<RunInfo>(path.join(out, 'run.json'));
    assert.deepEqual(run.variants, [VARIANT]);
    assert.equal(run.options['slo'], 'errors<1%,p99<1s');
    assert.equal(run.options['users'], undefined);
    assert.equal(run.verification?.[VARIANT]?.passed, true);
    const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    assert.match(md, new RegExp(`## Capacity[\\s\\S]*\\| ${VARIANT} \\| ${v.capacity === null ? 'none' : `(≥ )?${v.capacity}`} \\|`));
    // The page opens offline in a real browser and draws the capacity charts.
    const page = await openReport(path.join(out, 'report.html'), path.join(out, 'report.png'));
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.blockedRequests, []);
    for (const id of ['capacity-p99', 'capacity-errors']) {
      const chart = page.charts.find((c) => c.id === id);
      assert.ok(chart !== undefined && chart.width > 100 && chart.height > 100, `${id} drawn: ${JSON.stringify(chart)}`);
    }

    // Piped, so plain: the table on stdout, one line per phase and step on stderr, no escape codes.
    assert.ok(!res.stdout.includes(ESC) && !res.stderr.includes(ESC), 'no escape codes when piped');
    assert.match(res.stdout, new RegExp(`^variant\\s+capacity/s\\s+served/s\\s+p99 ms\\s+errors\\s+fails at/s\\s+what broke\\n${VARIANT}\\s`, 'm'));
    assert.match(res.stdout, new RegExp(`^results: ${out}$`, 'm'));
    assert.match(res.stderr, new RegExp(`^${VARIANT}: up in \\d+ ms behind http://127\\.0\\.0\\.1:\\d+$`, 'm'));
    assert.match(
      res.stderr,
      new RegExp(
        `^${VARIANT}: lead-in at 20 users/s, \\d+ s, CPU ms/user [^:]*: ((not settled but kept up, )?kept going into the step|not settled|ended with \\d+ users in flight \\(not kept up\\))$`,
        'm',
      ),
    );
    assert.match(res.stderr, new RegExp(`^${VARIANT}: 20 users over 1 s$`, 'm'));
    assert.match(res.stderr, new RegExp(`^${VARIANT}: 20 users/s (held|broke) the SLO: `, 'm'));

    // `benchlab report` renders the folder again, capacity included.
    fs.rmSync(path.join(out, 'summary.md'));
    const report = await runCli(['report', out]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(fs.readFileSync(path.join(out, 'summary.md'), 'utf8'), /## Capacity/);

    assert.deepEqual(await settled(out), [], 'no process of the run remains');
  });

  test('--json prints capacity.json and nothing else on stdout; bad usage is one line and exit 2', { timeout: 60_000 }, async () => {
    const out = tempOut('json');
    const res = await runCli(
      [
        'capacity',
        '--variants',
        VARIANT,
        '--start-rate',
        '10',
        '--max-rate',
        '10',
        '--step-seconds',
        '1',
        '--warmup-users',
        '0',
        '--database',
        DATABASE_URL,
        '--out',
        out,
        '--json',
      ],
      { timeoutMs: 45_000 },
    );
    assert.equal(res.code, 0, res.stderr);
    const printed = JSON.parse(res.stdout) as { outDir: string; capacity: CapacityReport };
    assert.deepEqual(printed.capacity, readJson<CapacityReport>(path.join(out, 'capacity.json')));
    assert.equal(res.stderr, '', 'no log lines with --json');

    for (const [flags, message] of [
      [['--start-rate', '100', '--max-rate', '50'], /^benchlab: option --max-rate must be at least --start-rate/],
      [['--slo', 'p99>1s'], /^benchlab: option --slo has "p99>1s"/],
      [['--steps', 'many'], /^benchlab: option --steps must be a whole number/],
    ] as const) {
      const bad = await runCli(['capacity', ...flags, '--out', tempOut('bad')]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, message);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    }
  });
});

describe('the terminal experience of benchlab run', () => {
  const runArgs = (out: string) => [
    'run',
    '--variants',
    VARIANT,
    '--users',
    '20',
    '--ramp',
    '1',
    '--warmup-users',
    '0',
    '--database',
    DATABASE_URL,
    '--out',
    out,
  ];

  test('piped: the plain log lines, no escape codes anywhere', { timeout: 60_000 }, async () => {
    const res = await runCli(runArgs(tempOut('piped')), { timeoutMs: 45_000 });
    assert.equal(res.code, 0, res.stderr);
    assert.ok(!res.stdout.includes(ESC) && !res.stderr.includes(ESC), `escape codes in: ${JSON.stringify(res.stderr)}`);
    // Warnings ("benchlab: ... invalid run" on a busy machine) may follow; the log lines are exactly these.
    const logLines = res.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('benchlab: '));
    assert.deepEqual(
      logLines.map((l) =>
        l.replace(/\d+ ms behind http:\/\/127\.0\.0\.1:\d+/, 'N ms behind URL').replace(/\(pid [\d, ]+\) runs on CPUs \S+/, '(pid P) runs on CPUs C'),
      ),
      [
        // The test database is the machine's own server on loopback: confined with the server side.
        ...(os.availableParallelism() > 1 ? ['database: the server on this machine (pid P) runs on CPUs C for this run'] : []),
        `${VARIANT}: up in N ms behind URL`,
        `${VARIANT}: 20 users over 1 s`,
      ],
    );
  });

  test('on a terminal: a redrawn status line per phase, and a line per variant when done', { timeout: 60_000 }, async () => {
    // script(1) gives the run a pseudo-terminal, as a person's shell would.
    const command = [process.execPath, cliPath, ...runArgs(tempOut('tty'))].map((a) => `'${a}'`).join(' ');
    const res = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 45_000, env: { ...process.env, COLUMNS: '120' } });
    assert.equal(res.status, 0, res.stdout);
    const text = res.stdout;
    assert.ok(text.includes('\r\x1b[2K'), 'the status line is redrawn in place');
    const plain = text.replace(/\x1b\[\d*[mK]/g, '');
    for (const phase of ['starting', 'verifying', 'warming', 'measuring', 'auditing']) assert.match(plain, new RegExp(`\\[1/1\\] ${VARIANT}  ${phase}`));
    assert.match(plain, /measuring {2}[█░]{24} {2}/);
    assert.match(
      plain,
      new RegExp(
        `✓ \\[1/1\\] ${VARIANT}  \\d+\\.\\d s: starting \\d+\\.\\d s, verifying \\d+\\.\\d s, warming \\d+\\.\\d s, measuring \\d+\\.\\d s, auditing \\d+\\.\\d s`,
      ),
    );
    assert.ok(text.includes(`\x1b[1m${VARIANT}\x1b[0m`), 'the final table is coloured on a terminal');
  });
});
