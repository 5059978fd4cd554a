import { integrityOf } from '../../common/integrity.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ResourceSummary, TimeSummary, VariantResult } from '../../common/result.js';
import type { RunInfo } from '../../report/run-info.js';
import { summaryMarkdown } from '../../report/summary-markdown.js';
import { SUMMARY_CSV_HEADER, summaryCsv } from '../../report/summary-csv.js';
import { summaryTable } from '../../report/summary-table.js';
import { writeSummaries } from '../../report/write-results.js';

const ESC = '\x1b[';

/** Times in ms for readability; the result format stores microseconds. */
function timesMs(count: number, ms: Partial<Record<'min' | 'mean' | 'p50' | 'p90' | 'p99' | 'p999' | 'max', number>> = {}): TimeSummary {
  const us = (value: number | undefined, fallback: number) => Math.round((value ?? fallback) * 1000);
  return {
    count,
    min: us(ms.min, 12),
    mean: us(ms.mean, 57),
    p50: us(ms.p50, 40),
    p90: us(ms.p90, 120),
    p99: us(ms.p99, 300),
    p999: us(ms.p999, 400),
    max: us(ms.max, 412),
    histogram: '',
  };
}

function resources(cpuSeconds: number, rssPeakBytes: number): ResourceSummary {
  return { cpuSeconds, rssPeakBytes, rssMeanBytes: rssPeakBytes / 2, samples: 10, processes: 1 };
}

interface ResultSpec {
  variant?: string;
  scheduled?: number;
  failed?: number;
  notStarted?: number;
  durationSeconds?: number;
  errors?: Record<string, number>;
  userTimeMs?: Parameters<typeof timesMs>[1];
  missingRows?: number;
  duplicatedRows?: number;
}

function buildResult(spec: ResultSpec = {}): VariantResult {
  const scheduled = spec.scheduled ?? 500;
  const failed = spec.failed ?? 0;
  const notStarted = spec.notStarted ?? 0;
  const ok = scheduled - failed - notStarted;
  const missing = spec.missingRows ?? 0;
  const duplicated = spec.duplicatedRows ?? 0;
  return {
    target: 'http://127.0.0.1:8080',
    variant: spec.variant ?? 'prefork',
    startedAt: '2025-03-01T14:05:00.000Z',
    durationSeconds: spec.durationSeconds ?? 10,
    options: { users: scheduled, rampSeconds: 10, timeoutMs: 30_000, arrival: 'uniform' },
    users: { scheduled, ok, failed, notStarted },
    errors: spec.errors ?? {},
    sessionTimeUs: timesMs(ok + failed, spec.userTimeMs),
    stepTimeUs: { get: timesMs(ok, { p50: 10 }), post: timesMs(ok, { p50: 20 }), redirect: timesMs(ok, { p50: 9 }) },
    latenessUs: timesMs(scheduled, { p99: 0.5, max: 2 }),
    requests: { total: ok * 3, byStatus: { '200': ok * 2, '302': ok } },
    posts: { accepted: ok, indeterminate: 0, acceptedMarkers: [] },
    backends: {},
    workers: {},
    timeline: [],
    integrity: integrityOf({ accepted: ok, indeterminate: 0 }, 0, {
      rows: ok - missing + duplicated,
      missing,
      duplicated,
      unaccepted: 0,
      foreign: 0,
      warmup: 0,
    }),
    server: resources(2.5, 120_000_000),
    nginx: resources(0.4, 8_000_000),
    database: resources(1.2, 300_000_000),
    setup: { startMs: 850, workers: 4, contractCheck: 'pass' },
  };
}

function emptyResult(variant: string): VariantResult {
  const result = buildResult({ variant, scheduled: 0, durationSeconds: 0 });
  // An empty HDR histogram reports a sentinel minimum; the report must not show it.
  result.sessionTimeUs = { ...result.sessionTimeUs, count: 0, min: Number.MAX_SAFE_INTEGER };
  result.database = null;
  return result;
}

const run: RunInfo = {
  label: 'seed',
  startedAt: '2025-03-01T14:05:00.000Z',
  finishedAt: '2025-03-01T14:09:30.000Z',
  options: { users: 500, rampSeconds: 10 },
  environment: {
    node: 'v20.20.2',
    nginx: '1.24.0',
    database: 'MariaDB 10.11.6',
    os: 'Linux 6.8',
    cpuModel: 'Example CPU @ 3.0GHz',
    cores: 8,
    gitCommit: 'abc1234',
    serverCpus: '0-3',
    clientCpus: '4-7',
    pinned: true,
  },
  variants: ['prefork', 'threaded'],
};

function tableRow(markdown: string, variant: string): string[] {
  const line = markdown.split('\n').find((l) => l.startsWith(`| ${variant} |`));
  assert.ok(line, `no table row for ${variant}`);
  return line.slice(2, -2).split(' | ');
}

function firstTableAfter(markdown: string, heading: string): string[] {
  const after = markdown.slice(markdown.indexOf(heading));
  const header = after.split('\n').find((l) => l.startsWith('| '));
  assert.ok(header, `no table after ${heading}`);
  return header.slice(2, -2).split(' | ');
}

describe('summaryMarkdown', () => {
  test('prints one block per variant in the original format', () => {
    const markdown = summaryMarkdown(run, [
      buildResult({ variant: 'prefork', failed: 3, errors: { timeout: 3 } }),
      buildResult({ variant: 'threaded', scheduled: 60 }),
    ]);
    assert.ok(markdown.includes('### prefork\nMin time: 0.012s\nMax time: 0.412s\nAverage Time: 0.057s\nErrors: 3 / 500 (0.6%)\n'), markdown);
    assert.ok(markdown.includes('### threaded\nMin time: 0.012s\n'));
    assert.ok(markdown.includes('Errors: 0 / 60 (0%)'));
  });

  test('blocks come before the comparison table', () => {
    const markdown = summaryMarkdown(run, [buildResult()]);
    assert.ok(markdown.indexOf('### prefork') < markdown.indexOf('## Comparison'));
    assert.ok(markdown.startsWith('# benchlab: seed (2025-03-01 14:05 UTC)'));
    assert.match(markdown, /lower is better/);
  });

  test('comparison table has the agreed columns and values', () => {
    const markdown = summaryMarkdown(run, [buildResult({ failed: 3, errors: { timeout: 2, '502': 1 } })]);
    assert.deepEqual(firstTableAfter(markdown, '## Comparison'), [
      'variant',
      'users (ok/scheduled)',
      'users/s',
      'req/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'errors by origin',
      'CPU s',
      'CPU ms/user',
      'peak RSS MB',
      'mean RSS MB',
      'integrity',
    ]);
    assert.deepEqual(tableRow(markdown, 'prefork'), [
      'prefork',
      '497/500',
      '49.7',
      '149.1',
      '40.0',
      '120',
      '300',
      '412',
      'timeout:2, 502:1',
      '2.50',
      '5.03',
      '120.0',
      '60.0',
      'ok',
    ]);
  });

  test('per-step, resources, environment and original sections are present', () => {
    const markdown = summaryMarkdown(run, [buildResult()]);
    const stepHeader = firstTableAfter(markdown, '## Per step');
    assert.deepEqual(stepHeader.slice(0, 4), ['variant', 'get p50', 'get p99', 'get max']);
    assert.ok(stepHeader.includes('redirect max'));
    assert.ok(firstTableAfter(markdown, '## Setup, nginx and database').includes('database peak RSS MB'));
    assert.match(markdown, /- nginx: 1\.24\.0/);
    assert.match(markdown, /- database: MariaDB 10\.11\.6/);
    assert.match(markdown, /- pinning: server side on CPUs 0-3, client on CPUs 4-7/);
    assert.match(markdown, /- git commit: abc1234/);
    assert.match(markdown, /different hardware, for shape not for numbers/);
    assert.match(markdown, /\| FastCGI prefork \| 0\.67 \| 97\.27 \| 15\.50 \| 553 \/ 2000 \(27\.65%\) \|/);
    assert.match(markdown, /\| gunicorn \(HTTP prefork\) \| 0\.67 \| 78\.62 \| 11\.74 \| 278 \/ 2000 \(13\.9%\) \|/);
  });

  test('an integrity failure shows in the table', () => {
    const markdown = summaryMarkdown(run, [buildResult({ missingRows: 2, duplicatedRows: 1 })]);
    assert.equal(tableRow(markdown, 'prefork').at(-1), 'FAIL: 2 missing, 1 duplicated');
  });

  test('says so when there are no results', () => {
    const markdown = summaryMarkdown(run, []);
    assert.match(markdown, /No variant results were recorded/);
    assert.ok(!markdown.includes('## Comparison'));
    assert.match(markdown, /## The original experiment/);
  });

  test('zero users and zero duration give dashes, not NaN or Infinity', () => {
    const markdown = summaryMarkdown(run, [emptyResult('idle')]);
    assert.ok(markdown.includes('### idle\nMin time: –\nMax time: –\nAverage Time: –\nErrors: 0 / 0 (0%)'));
    assert.deepEqual(tableRow(markdown, 'idle').slice(1, 4), ['0/0', '–', '–']);
    assert.doesNotMatch(markdown, /NaN|Infinity|9007199254740991/);
  });

  test('notes users that never started', () => {
    const markdown = summaryMarkdown(run, [buildResult({ notStarted: 40 })]);
    assert.match(markdown, /prefork: 40 users never started/);
  });
});

describe('summaryCsv', () => {
  test('has one header and one row per variant with the agreed fields', () => {
    const csv = summaryCsv([buildResult(), buildResult({ variant: 'threaded' })]);
    const lines = csv.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0], SUMMARY_CSV_HEADER.join(','));
    for (const name of ['variant', 'users_per_s', 'p999_ms', 'get_p50_ms', 'redirect_p99_ms', 'errors', 'integrity_ok', 'posts_accepted']) {
      assert.ok(SUMMARY_CSV_HEADER.includes(name), name);
    }
    const row = Object.fromEntries(SUMMARY_CSV_HEADER.map((name, index) => [name, lines[1]?.split(',')[index]]));
    assert.equal(row['scheduled'], '500');
    assert.equal(row['users_per_s'], '50');
    assert.equal(row['req_per_s'], '150');
    assert.equal(row['min_ms'], '12');
    assert.equal(row['post_p50_ms'], '20');
    assert.equal(row['errors'], '""');
    assert.equal(row['rss_peak_bytes'], '120000000');
    assert.equal(row['integrity_ok'], 'true');
  });

  test('quotes a variant name with a comma or quote and the error list', () => {
    const csv = summaryCsv([buildResult({ variant: 'fastcgi, "threaded"', failed: 3, errors: { timeout: 2, '502': 1 } })]);
    const row = csv.split('\n')[1] ?? '';
    assert.ok(row.startsWith('"fastcgi, ""threaded""",500,497,3,0,'), row);
    assert.ok(row.includes(',"timeout=2;502=1",'), row);
  });

  test('empty measurements are empty cells', () => {
    const csv = summaryCsv([emptyResult('idle')]);
    assert.doesNotMatch(csv, /NaN|Infinity/);
    const row = csv.split('\n')[1] ?? '';
    assert.ok(row.startsWith('idle,0,0,0,0,,,,'), row);
  });
});

describe('summaryTable', () => {
  const results = [
    buildResult({ variant: 'prefork', failed: 3, errors: { timeout: 3 }, userTimeMs: { p99: 250 } }),
    buildResult({ variant: 'threaded', missingRows: 1, userTimeMs: { p99: 900 } }),
  ];

  test('plain text has no escape codes, blocks above the table', () => {
    const text = summaryTable(results, { color: false });
    assert.ok(!text.includes(ESC));
    assert.ok(text.startsWith('prefork\nMin time: 0.012s\nMax time: 0.412s\nAverage Time: 0.057s\nErrors: 3 / 500 (0.6%)\n'));
    const headerLine = text.split('\n').find((line) => line.startsWith('variant'));
    assert.ok(headerLine);
    assert.match(headerLine, /users\/s\s+req\/s\s+p50 ms\s+p90 ms\s+p99 ms\s+max ms\s+errors/);
    assert.match(text, /FAIL: 1 missing/);
  });

  test('columns line up', () => {
    const lines = summaryTable(results, { color: false }).split('\n');
    const header = lines.find((line) => line.startsWith('variant')) ?? '';
    const rows = lines.filter((line) => line.startsWith('prefork ') || line.startsWith('threaded '));
    assert.equal(rows.length, 2);
    const p99End = header.indexOf('p99 ms') + 'p99 ms'.length;
    for (const row of rows) assert.match(row.slice(p99End - 3, p99End), /^\d{3}$/);
  });

  test('colour marks errors, integrity failures and the best p99 only when asked', () => {
    const text = summaryTable(results, { color: true });
    assert.ok(text.includes(`${ESC}31mtimeout:3${ESC}0m`));
    assert.ok(text.includes(`${ESC}31mFAIL: 1 missing${ESC}0m`));
    assert.ok(text.includes(`${ESC}32m250${ESC}0m`));
    assert.ok(!text.includes(`${ESC}32m900`));
    assert.ok(text.includes(`${ESC}31mErrors: 3 / 500 (0.6%)${ESC}0m`));
  });

  test('empty and zero-user inputs stay readable', () => {
    assert.equal(summaryTable([], { color: false }), 'No variant results.\n');
    const text = summaryTable([emptyResult('idle')], { color: true });
    assert.doesNotMatch(text, /NaN|Infinity/);
    assert.match(text, /Errors: 0 \/ 0 \(0%\)/);
  });
});

describe('writeSummaries', () => {
  test('writes summary.md, summary.csv and report.html and returns their paths', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'benchlab-report-'));
    try {
      const paths = await writeSummaries(dir, run, [buildResult()]);
      assert.deepEqual(paths, {
        markdownPath: path.join(dir, 'summary.md'),
        csvPath: path.join(dir, 'summary.csv'),
        htmlPath: path.join(dir, 'report.html'),
      });
      assert.match(await readFile(paths.htmlPath, 'utf8'), /^<!doctype html>/);
      assert.match(await readFile(paths.markdownPath, 'utf8'), /### prefork\nMin time: 0\.012s/);
      assert.match(await readFile(paths.csvPath, 'utf8'), /^variant,scheduled,ok,/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('a client result alone shows what was not measured as "–", never as 0, and says the contract was not checked', async () => {
  const { loadAsVariant } = await import('../../report/load-as-variant.js');
  const { variantResultFixture } = await import('../support/variant-result-fixture.js');
  const { server: _s, nginx: _n, database: _d, integrity: _i, setup: _u, ...load } = variantResultFixture({ variant: 'merged' });
  const result = loadAsVariant(load);
  assert.equal(result.server, null);
  assert.equal(result.setup.startMs, null);
  assert.equal(result.setup.workers, null);
  assert.equal(result.setup.contractCheck, 'not checked');
  assert.equal(result.integrity.rows, null, 'no audit, no row count');
  const json = JSON.parse(JSON.stringify(result)) as typeof result;
  assert.equal(json.server, null);
  const markdown = summaryMarkdown(run, [result]);
  const row = tableRow(markdown, 'merged');
  const header = firstTableAfter(markdown, '## Comparison');
  for (const column of ['CPU s', 'CPU ms/user', 'peak RSS MB', 'integrity']) {
    assert.equal(row[header.indexOf(column)], '–', `${column} of an unsampled result`);
  }
  const setup = firstTableAfter(markdown, '## Setup, nginx and database');
  const setupRow = markdown
    .slice(markdown.indexOf('## Setup, nginx and database'))
    .split('\n')
    .find((l) => l.startsWith('| merged '))!
    .slice(2, -2)
    .split(' | ');
  assert.equal(setupRow[setup.indexOf('workers')], '–');
  assert.equal(setupRow[setup.indexOf('start ms')], '–');
  assert.equal(setupRow[setup.indexOf('contract')], 'not checked');
  assert.doesNotMatch(markdown, /\| 0\.00 \||\| 0\.0 \|/, 'no zero stands in for a figure never sampled');
  assert.match(markdown, /the contract was not checked/);
});

test("a run in which the machine's speed moved by more than 10% between variants says so, and names --repeat", async () => {
  const { variantResultFixture } = await import('../support/variant-result-fixture.js');
  const probe = (server: number, client: number) => ({ server, client });
  const steady = { ...variantResultFixture({ variant: 'a' }), calibration: { before: probe(300, 340), after: probe(305, 338) } };
  const same = { ...variantResultFixture({ variant: 'b' }), calibration: { before: probe(298, 341), after: probe(302, 339) } };
  const slowed = { ...variantResultFixture({ variant: 'c' }), calibration: { before: probe(250, 340), after: probe(240, 336) } };
  assert.doesNotMatch(summaryMarkdown(run, [steady, same]), /speed on the server CPUs moved/);
  const markdown = summaryMarkdown(run, [steady, same, slowed]);
  assert.match(markdown, /The machine's speed on the server CPUs moved by 27% between variants .* --repeat N/);
  assert.doesNotMatch(markdown, /speed on the client CPUs moved/);
  assert.match(markdown, /## The machine's speed/);
  assert.match(markdown, /\| c \| 250 \| 240 \| 340 \| 336 \|/);
});
