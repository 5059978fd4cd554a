// Terminal colour, applied only on request so piped output and files stay plain text.

export type Style = 'red' | 'green' | 'bold' | 'dim';

const STYLE_CODES: Record<Style, string> = { red: '31', green: '32', bold: '1', dim: '2' };

export function paint(text: string, style: Style, enabled: boolean): string {
  return enabled ? `\x1b[${STYLE_CODES[style]}m${text}\x1b[0m` : text;
}
