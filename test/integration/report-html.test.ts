import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSummaries } from '../../report/write-results.js';
import { openReport, type PageCheck } from '../support/headless-chromium.js';
import { runCli } from '../support/run-cli.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import { runInfoFixture, variantResultFixture } from '../support/variant-result-fixture.js';

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-report-html-'));
  tempDirs.push(dir);
  return dir;
}

function chartElements(htmlPath: string): number {
  return fs.readFileSync(htmlPath, 'utf8').match(/<div class="chart" data-chart="/g)?.length ?? 0;
}

function assertRendered(check: PageCheck, htmlPath: string, minCharts: number): void {
  assert.deepEqual(check.consoleErrors, [], 'no console errors');
  assert.deepEqual(check.blockedRequests, [], 'no request left the page');
  assert.deepEqual(check.failedRequests, [], 'no request failed');
  assert.ok(check.charts.length >= minCharts, `at least ${minCharts} charts, got ${check.charts.length}`);
  assert.equal(check.charts.length, chartElements(htmlPath));
  for (const chart of check.charts) assert.ok(chart.width > 100 && chart.height > 100, `${chart.id} drew a canvas: ${JSON.stringify(chart)}`);
}

function assertScreenshot(file: string): void {
  // A PNG, and not a blank page: a rendered report compresses to well over a few kilobytes.
  const png = fs.readFileSync(file);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.ok(png.length > 20_000, `screenshot of ${png.length} bytes`);
}

test('report.html from fixture results draws every chart offline, hostile names included', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const results = [
    variantResultFixture({ variant: 'prefork', medianMs: 9, tail: 1.2, withDatabase: true }),
    variantResultFixture({ variant: 'threaded', medianMs: 700, tail: 0.5, errors: { timeout: 12, 'http-502': 5 }, withDatabase: true }),
    variantResultFixture({ variant: '</script><b>fastcgi</b>', medianMs: 2000, errors: { 'http-504': 30 }, withDatabase: true }),
    // Nothing to draw but axes: no user finished, no timeline, no worker answered.
    { ...variantResultFixture({ variant: 'refused', users: 5, errors: { refused: 5 } }), timeline: [], workers: {} },
  ];
  const written = await writeSummaries(dir, runInfoFixture(results.map((r) => r.variant)), results);
  const screenshot = path.join(dir, 'report.png');
  const check = await openReport(written.htmlPath, screenshot);
  // 4 spectra, 4 timelines, errors, CPU, memory, 4 worker charts.
  assertRendered(check, written.htmlPath, 15);
  assertScreenshot(screenshot);
});

test('report.html of a real short run opens offline with every chart drawn', { timeout: 180_000 }, async () => {
  const dir = path.join(tempDir(), 'run');
  const res = await runCli([
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
    dir,
  ]);
  assert.equal(res.code, 0, res.stderr);
  const htmlPath = path.join(dir, 'report.html');
  assert.ok(fs.existsSync(htmlPath), 'benchlab run wrote report.html');
  const screenshot = path.join(dir, 'report.png');
  const check = await openReport(htmlPath, screenshot);
  // 4 spectra, 1 timeline, errors, CPU, memory, 1 worker chart.
  assertRendered(check, htmlPath, 9);
  assertScreenshot(screenshot);
  const keep = process.env['BENCHLAB_SCREENSHOT'];
  if (keep) fs.copyFileSync(screenshot, keep);
});
