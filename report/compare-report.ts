// `benchlab compare` output: the terminal table, compare.md and compare.html from one RunComparison.
import type { VariantResult } from '../common/result.js';
import { paint } from './ansi.js';
import type { ChartSpec } from './chart-spec.js';
import { spectrumChart } from './chart-data.js';
import type { RunComparison } from './compare.js';
import { compareColumns, NOISE_RULE, type CompareRow } from './compare-columns.js';
import { formatUtcMinute } from './format.js';
import { escapeHtml, htmlTable } from './html.js';
import { htmlPage } from './html-page.js';
import { markdownTable } from './markdown-table.js';
import type { RunInfo } from './run-info.js';
import { alignColumns, joinColumns } from './text-table.js';

export interface ComparedRun {
  dir: string;
  run: RunInfo;
  results: VariantResult[];
}

function rowsOf(comparison: RunComparison): CompareRow[] {
  return comparison.variants.flatMap((v) => v.changes.map((change) => ({ variant: v.variant, change })));
}

function runLine(name: 'A' | 'B', compared: ComparedRun): string {
  return `${name}: ${compared.run.label}, started ${formatUtcMinute(compared.run.startedAt)} (${compared.dir})`;
}

function unmatchedLines(comparison: RunComparison): string[] {
  return [
    ...(comparison.onlyInA.length > 0 ? [`Only in A: ${comparison.onlyInA.join(', ')}.`] : []),
    ...(comparison.onlyInB.length > 0 ? [`Only in B: ${comparison.onlyInB.join(', ')}.`] : []),
  ];
}

export function compareText(a: ComparedRun, b: ComparedRun, comparison: RunComparison, options: { color: boolean }): string {
  const rows = rowsOf(comparison);
  const header = compareColumns.map((c) => c.header);
  const padded = alignColumns(
    [header, ...rows.map((r) => compareColumns.map((c) => c.cell(r)))],
    compareColumns.map((c) => c.align),
  );
  const lines = joinColumns(padded).map((line, i) => {
    if (i === 0) return paint(line, 'bold', options.color);
    const change = rows[i - 1]?.change;
    if (change?.verdict !== 'larger than noise' || change.improved === null) return line;
    return paint(line, change.improved ? 'green' : 'red', options.color);
  });
  const table = rows.length > 0 ? lines.join('\n') : 'No variant ran in both.';
  return `${[runLine('A', a), runLine('B', b), ...unmatchedLines(comparison), '', table].join('\n')}\n`;
}

export function compareMarkdown(a: ComparedRun, b: ComparedRun, comparison: RunComparison): string {
  const rows = rowsOf(comparison);
  const sections = [
    `# benchlab compare: ${a.run.label} → ${b.run.label}`,
    [`- ${runLine('A', a)}`, `- ${runLine('B', b)}`].join('\n'),
    ...unmatchedLines(comparison),
    rows.length > 0 ? markdownTable(compareColumns, rows) : 'No variant ran in both.',
    '## How to read this',
    NOISE_RULE,
  ];
  return `${sections.join('\n\n')}\n`;
}

/** User-time spectra of both runs per shared variant: A dashed, B solid, in the variant's colour. */
function compareCharts(a: ComparedRun, b: ComparedRun, comparison: RunComparison): ChartSpec[] {
  return comparison.variants.flatMap((v, i) => {
    const resultA = a.results.find((r) => r.variant === v.variant);
    const resultB = b.results.find((r) => r.variant === v.variant);
    if (!resultA || !resultB) return [];
    return [
      spectrumChart(`compare-${i}`, `${v.variant}: user time, A dashed, B solid`, [
        { label: `A ${a.run.label}`, times: resultA.sessionTimeUs, colorIndex: i, dashed: true },
        { label: `B ${b.run.label}`, times: resultB.sessionTimeUs, colorIndex: i },
      ]),
    ];
  });
}

export function compareHtml(a: ComparedRun, b: ComparedRun, comparison: RunComparison): string {
  const rows = rowsOf(comparison);
  const charts = compareCharts(a, b, comparison);
  const body = [
    `<h1>benchlab compare: ${escapeHtml(a.run.label)} → ${escapeHtml(b.run.label)}</h1>`,
    `<p class="note">${escapeHtml(runLine('A', a))}<br>${escapeHtml(runLine('B', b))}</p>`,
    ...unmatchedLines(comparison).map((line) => `<p class="caveat">${escapeHtml(line)}</p>`),
    rows.length > 0 ? htmlTable(compareColumns, rows) : '<p>No variant ran in both.</p>',
    `<p class="note">${escapeHtml(NOISE_RULE)}</p>`,
    '<h2>User time by percentile</h2>',
    `<div class="grid">${charts.map((c) => `<div class="chart" data-chart="${escapeHtml(c.id)}"></div>`).join('')}</div>`,
  ].join('\n');
  return htmlPage(`benchlab compare: ${a.run.label} → ${b.run.label}`, body, charts);
}
