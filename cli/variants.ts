// `benchlab variants`: the manifest as a table, then the named sets.
import type { Command } from 'commander';
import { VARIANTS, VARIANT_SETS } from '../apps/variants.js';
import { action } from './action.js';
import { variantAvailable } from '../lab/stack/variant-command.js';

export function variantsTable(): string {
  const header = ['name', 'aliases', 'protocol', 'model', 'framework', 'stands for'];
  const rows = VARIANTS.map((v) => {
    const available = variantAvailable(v);
    return [
      v.name,
      v.aliases?.join(', ') ?? '',
      v.protocol,
      v.model,
      v.framework,
      available.ok ? v.standsFor : `${v.standsFor} (not installed: ${v.command?.requires.install})`,
    ];
  });
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const lines = all.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const sets = Object.entries(VARIANT_SETS).map(([k, v]) => `  ${k}: ${k === 'all' || k === 'node' ? `${v.length} variants` : v.join(', ')}`);
  return `${lines.join('\n')}\n\nsets:\n${sets.join('\n')}\n`;
}

export function defineVariants(program: Command): Command {
  return program
    .command('variants')
    .description('list the app server variants and named sets')
    .action(
      action(async () => {
        process.stdout.write(variantsTable());
      }),
    );
}
