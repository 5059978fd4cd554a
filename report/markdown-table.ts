// A GitHub-flavoured markdown table; cells are escaped so a "|" in a name cannot split a column.
import type { Align, Column } from './columns.js';

export function escapeMarkdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function alignmentMarker(align: Align): string {
  return align === 'right' ? '---:' : '---';
}

function markdownRow(cells: readonly string[]): string {
  return `| ${cells.map(escapeMarkdownCell).join(' | ')} |`;
}

export function markdownTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const lines = [
    markdownRow(columns.map((column) => column.header)),
    `| ${columns.map((column) => alignmentMarker(column.align)).join(' | ')} |`,
    ...rows.map((row) => markdownRow(columns.map((column) => column.cell(row)))),
  ];
  return lines.join('\n');
}
