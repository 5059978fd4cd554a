// Fixed-width columns for the terminal; widths come from plain text, colour is added after padding.
import type { Align } from './columns.js';

export const COLUMN_GAP = '  ';

function pad(text: string, width: number, align: Align): string {
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

/** Pads every cell of every row to its column's widest cell. Rows must have one cell per align entry. */
export function alignColumns(rows: readonly (readonly string[])[], aligns: readonly Align[]): string[][] {
  const widths = aligns.map((_, index) => Math.max(0, ...rows.map((row) => (row[index] ?? '').length)));
  return rows.map((row) => aligns.map((align, index) => pad(row[index] ?? '', widths[index] ?? 0, align)));
}

/** Joins padded cells into lines without trailing spaces. */
export function joinColumns(paddedRows: readonly (readonly string[])[]): string[] {
  return paddedRows.map((cells) => cells.join(COLUMN_GAP).trimEnd());
}
