// HTML building blocks for the report pages: every text from a result file is escaped on the way in.
import type { Column } from './columns.js';

import { escapeHtml } from '../common/html-escape.js';

export { escapeHtml };

/**
 * JSON that is safe inside <script>: "<" and ">" become \u003c and \u003e so no string can close the
 * element, "&" so no entity is seen, and U+2028/2029 because older parsers end a line there.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Code inlined into <script> must not contain "</script" (it would end the element). */
export function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

export function htmlTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], caption?: string): string {
  const alignClass = (column: Column<Row>) => (column.align === 'right' ? ' class="num"' : '');
  const head = columns.map((c) => `<th${alignClass(c)}>${escapeHtml(c.header)}</th>`).join('');
  const body = rows.map((row) => `<tr>${columns.map((c) => `<td${alignClass(c)}>${escapeHtml(c.cell(row))}</td>`).join('')}</tr>`).join('\n');
  const captionHtml = caption === undefined ? '' : `<caption>${escapeHtml(caption)}</caption>`;
  return `<table>${captionHtml}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/** A two-column table of names and values, e.g. the run's options. */
export function keyValueTable(entries: ReadonlyArray<readonly [string, string]>): string {
  const rows = entries.map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`).join('\n');
  return `<table class="kv"><tbody>\n${rows}\n</tbody></table>`;
}
