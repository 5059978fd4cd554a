import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { escapeHtml, jsonForScript, scriptSafe } from '../../report/html.js';
import { reportHtml } from '../../report/report-html.js';
import { writeSummaries } from '../../report/write-results.js';
import type { ChartSpec } from '../../report/chart-spec.js';
import { runInfoFixture, variantResultFixture } from '../support/variant-result-fixture.js';

const HOSTILE = '</script><img src=x onerror=alert(1)>&"\'';

function embeddedCharts(html: string): ChartSpec[] {
  const match = /<script id="chart-data" type="application\/json">([^<]*)<\/script>/.exec(html);
  assert.ok(match, 'chart data block');
  return JSON.parse(match[1]!) as ChartSpec[];
}

describe('escaping', () => {
  test('html text and attributes', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  test('JSON inside a script element cannot close it and parses back the same', () => {
    const value = { name: HOSTILE, line: 'a\u2028b' };
    const json = jsonForScript(value);
    assert.ok(!/[<>&\u2028]/.test(json), json);
    assert.deepEqual(JSON.parse(json), value);
  });

  test('inlined code cannot end its script element', () => {
    assert.equal(scriptSafe('x = "</script>"; y = "</SCRIPT"'), 'x = "<\\/script>"; y = "<\\/SCRIPT"');
  });
});

describe('report.html', () => {
  const results = [
    variantResultFixture({ variant: 'prefork', withDatabase: true }),
    variantResultFixture({ variant: HOSTILE, errors: { timeout: 3, [HOSTILE]: 1 } }),
  ];
  const run = runInfoFixture(
    results.map((r) => r.variant),
    { users: 400, label: HOSTILE },
  );
  const html = reportHtml(run, results);

  test('nothing from a result file reaches the page unescaped', () => {
    assert.ok(!html.includes('<img src=x'), 'no injected element');
    assert.ok(html.includes(escapeHtml(HOSTILE)), 'the name is shown escaped');
    assert.equal(html.match(/<\/script>/g)?.length, 3, "only the page's own three scripts end");
    const charts = embeddedCharts(html);
    assert.ok(
      charts.some((c) => c.kind === 'stacked-bars' && c.categories.includes(HOSTILE)),
      'the name reaches the chart intact',
    );
  });

  test('every embedded chart has its element, and the page asks for nothing from the network', () => {
    const charts = embeddedCharts(html);
    const ids = [...html.matchAll(/<div class="chart" data-chart="([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(
      ids,
      charts.map((c) => c.id),
    );
    assert.deepEqual(
      charts.map((c) => c.id),
      ['spectrum-user', 'spectrum-get', 'spectrum-post', 'spectrum-redirect', 'timeline-0', 'timeline-1', 'errors', 'cpu', 'rss', 'workers-0', 'workers-1'],
    );
    assert.ok(!/\b(src|href)=["']?(https?:)?\/\//i.test(html), 'no remote src or href');
    assert.match(html, /Content-Security-Policy" content="default-src &#39;none&#39;/);
    assert.match(html, /var uPlot=/, 'the chart library is inline');
  });

  test('the isolation table is on the page for a pinned run, names escaped, and absent for an unpinned one', () => {
    const pinned = {
      ...variantResultFixture({ variant: 'prefork' }),
      isolation: {
        pinned: true,
        serverCpus: '0',
        clientCpus: '1',
        strays: [],
        clientCpusOthers: { cpuSeconds: 0.7, percent: 7, labSeconds: 0.3 },
        serverCpusOthers: { cpuSeconds: 0.12, percent: 1.2 },
        otherProcesses: [
          { name: 'kdamond.0', pid: 83, cpuSeconds: 0.25, cpus: '0-1' },
          { name: HOSTILE, pid: 9, cpuSeconds: 0.05, cpus: '1' },
        ],
      },
    };
    const page = reportHtml(runInfoFixture(['prefork'], { users: 400 }), [pinned]);
    assert.match(page, /<h2>Isolation<\/h2>/);
    assert.ok(page.includes('0.12 s (1.2%)'), "the server CPUs' other work");
    assert.ok(page.includes(`kdamond.0 0.25 s, ${escapeHtml(HOSTILE)} 0.05 s (CPU 1)`), 'the busiest processes outside the lab, escaped');
    assert.ok(!page.includes('<img src=x'));
    assert.doesNotMatch(html, /<h2>Isolation<\/h2>/, 'the fixtures without isolation have no such section');
  });

  test('configuration, environment and the original table are on the page', () => {
    for (const text of [
      'MariaDB 10.11.6',
      'Example CPU @ 3.0GHz, 2 cores',
      'server side on CPUs 0, client on CPUs 1',
      'gunicorn (HTTP prefork)',
      '278 / 2000 (13.9%)',
    ]) {
      assert.ok(html.includes(escapeHtml(text)), text);
    }
    assert.match(html, /<th>users<\/th><td>400<\/td>/);
  });

  test('an empty run still renders', () => {
    const empty = reportHtml(runInfoFixture([]), []);
    assert.match(empty, /No variant results were recorded/);
  });

  test('writeSummaries puts report.html beside summary.md', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'benchlab-report-'));
    try {
      const written = await writeSummaries(dir, run, results);
      assert.equal(written.htmlPath, path.join(dir, 'report.html'));
      assert.equal(await readFile(written.htmlPath, 'utf8'), html);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
