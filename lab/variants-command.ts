import { VARIANTS, VARIANT_SETS } from '../apps/variants.js';

export function variantsTable(): string {
  const rows = [['name', 'protocol', 'model', 'framework', 'stands for'], ...VARIANTS.map((v) => [v.name, v.protocol, v.model, v.framework, v.standsFor])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  const sets = Object.entries(VARIANT_SETS).map(([k, v]) => `${k}: ${v.join(', ')}`);
  return `${lines.join('\n')}\n\nsets:\n  ${sets.join('\n  ')}\n`;
}
