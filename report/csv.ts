// RFC 4180 field quoting: a field with a comma, quote or line break is quoted, inner quotes doubled.

export type CsvValue = string | number | boolean | null;

export function csvField(value: CsvValue, alwaysQuote = false): string {
  const text = value === null ? '' : String(value);
  const needsQuotes = alwaysQuote || /[",\r\n]/.test(text);
  return needsQuotes ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: readonly string[]): string {
  return fields.join(',');
}
