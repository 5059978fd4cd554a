// The terminal summary: the original-format blocks, then the comparison as aligned text columns.
import type { VariantResult } from '../common/result.js';
import { paint, type Style } from './ansi.js';
import { resultCaveats } from './caveats.js';
import { calibrationCaveats } from './calibration-section.js';
import { errorsColumn, integrityColumn, p99Column, terminalColumns, type Column } from './columns.js';
import { hasTimes } from './format.js';
import { alignColumns, joinColumns } from './text-table.js';
import { userTimesLines, userTimesOf } from './user-times-block.js';

export interface SummaryTableOptions {
  /** Add ANSI colour; pass false for pipes, files and NO_COLOR. */
  color: boolean;
}

/** Colours only the text of a padded cell, so alignment and line ends stay clean. */
export function paintPadded(padded: string, style: Style, enabled: boolean): string {
  const core = padded.trim();
  if (core === '' || !enabled) return padded;
  const start = padded.indexOf(core);
  return padded.slice(0, start) + paint(core, style, true) + padded.slice(start + core.length);
}

/** The variant with the lowest p99 user time, when at least two variants have one to compare. */
function bestP99Variant(results: readonly VariantResult[]): VariantResult | null {
  const measured = results.filter((r) => hasTimes(r.sessionTimeUs));
  if (measured.length < 2) return null;
  return measured.reduce((best, r) => (r.sessionTimeUs.p99 < best.sessionTimeUs.p99 ? r : best));
}

function cellStyle(column: Column<VariantResult>, result: VariantResult, best: VariantResult | null): Style | null {
  if (column === errorsColumn && result.users.failed > 0) return 'red';
  if (column === integrityColumn && !result.integrity.ok) return 'red';
  if (column === p99Column && result === best) return 'green';
  return null;
}

function variantBlock(result: VariantResult, color: boolean): string {
  const [min, max, average, errors] = userTimesLines(userTimesOf(result));
  const errorsText = result.users.failed > 0 ? paint(errors, 'red', color) : errors;
  return [paint(result.variant, 'bold', color), min, max, average, errorsText].join('\n');
}

function comparisonTable(results: readonly VariantResult[], color: boolean): string {
  const columns = terminalColumns;
  const plainRows = [columns.map((c) => c.shortHeader ?? c.header), ...results.map((r) => columns.map((c) => c.cell(r)))];
  const [paddedHeader = [], ...paddedRows] = alignColumns(
    plainRows,
    columns.map((c) => c.align),
  );
  const best = bestP99Variant(results);
  const styledRows = paddedRows.map((cells, rowIndex) =>
    cells.map((cell, columnIndex) => {
      const column = columns[columnIndex];
      const result = results[rowIndex];
      const style = column && result ? cellStyle(column, result, best) : null;
      return style ? paintPadded(cell, style, color) : cell;
    }),
  );
  const styledHeader = paddedHeader.map((cell) => paintPadded(cell, 'bold', color));
  return joinColumns([styledHeader, ...styledRows]).join('\n');
}

export function summaryTable(results: VariantResult[], options: SummaryTableOptions): string {
  if (results.length === 0) return 'No variant results.\n';
  const caveats = [...calibrationCaveats(results), ...resultCaveats(results)].map((caveat) => paint(`! ${caveat}`, 'red', options.color));
  const parts = [
    results.map((r) => variantBlock(r, options.color)).join('\n\n'),
    ...(caveats.length > 0 ? [caveats.join('\n')] : []),
    comparisonTable(results, options.color),
  ];
  return `${parts.join('\n\n')}\n`;
}
