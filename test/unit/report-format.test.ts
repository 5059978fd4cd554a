import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fixedTrimmed,
  formatErrorClasses,
  formatMegabytes,
  formatMs,
  formatPercent,
  formatRate,
  formatSeconds,
  formatUtcMinute,
  ratio,
} from '../../report/format.js';
import { csvField } from '../../report/csv.js';
import { alignColumns, joinColumns } from '../../report/text-table.js';
import { escapeMarkdownCell } from '../../report/markdown-table.js';

test('percentages keep up to two decimals and drop trailing zeros', () => {
  assert.equal(formatPercent(3, 500), '0.6%');
  assert.equal(formatPercent(0, 60), '0%');
  assert.equal(formatPercent(636, 2000), '31.8%');
  assert.equal(formatPercent(553, 2000), '27.65%');
  assert.equal(formatPercent(1, 3), '33.33%');
  assert.equal(formatPercent(60, 60), '100%');
  assert.equal(formatPercent(0, 0), '0%');
  assert.equal(formatPercent(1, 1_000_000), '<0.01%');
});

test('fixedTrimmed never strips integer zeros', () => {
  assert.equal(fixedTrimmed(100, 2), '100');
  assert.equal(fixedTrimmed(10.5, 2), '10.5');
  assert.equal(fixedTrimmed(0, 2), '0');
});

test('seconds have three decimals, ms precision follows magnitude', () => {
  assert.equal(formatSeconds(0.0123), '0.012s');
  assert.equal(formatSeconds(null), '–');
  assert.equal(formatMs(0.4567), '0.457');
  assert.equal(formatMs(4.567), '4.57');
  assert.equal(formatMs(45.67), '45.7');
  assert.equal(formatMs(456.7), '457');
  assert.equal(formatMs(Number.NaN), '–');
});

test('rates and ratios do not divide by zero', () => {
  assert.equal(ratio(5, 0), null);
  assert.equal(formatRate(100, 0), '–');
  assert.equal(formatRate(100, 8), '12.5');
  assert.equal(formatMegabytes(52_400_000), '52.4');
});

test('error classes list most frequent first, or 0', () => {
  assert.equal(formatErrorClasses({}), '0');
  assert.equal(formatErrorClasses({ timeout: 0 }), '0');
  assert.equal(formatErrorClasses({ '502': 1, timeout: 3, '504': 1 }), 'timeout:3, 502:1, 504:1');
});

test('CSV fields are quoted only when needed, inner quotes doubled', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField(null), '');
  assert.equal(csvField('', true), '""');
});

test('markdown cells escape pipes and line breaks', () => {
  assert.equal(escapeMarkdownCell('a|b\nc'), 'a\\|b c');
});

test('columns align by widest cell without trailing spaces', () => {
  const lines = joinColumns(
    alignColumns(
      [
        ['name', 'n'],
        ['prefork', '12'],
      ],
      ['left', 'right'],
    ),
  );
  assert.deepEqual(lines, ['name      n', 'prefork  12']);
});

test('timestamps render to the minute in UTC, unparsable ones as given', () => {
  assert.equal(formatUtcMinute('2025-03-01T14:05:59.000Z'), '2025-03-01 14:05 UTC');
  assert.equal(formatUtcMinute('yesterday'), 'yesterday');
});
