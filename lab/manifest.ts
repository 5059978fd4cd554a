import fs from 'node:fs';
import { type LabError, optionError } from '../common/errors.js';
import { VARIANTS, type VariantSpec } from '../apps/variants.js';

// A manifest adds foreign backends: any command that speaks the contract, in any language.

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function entryError(file: string, index: number, why: string): LabError {
  return optionError('--manifest', `${file}: entry ${index + 1} ${why}`);
}

function checkEntry(entry: unknown, file: string, index: number): VariantSpec {
  const e = entry as Partial<VariantSpec> | null;
  if (typeof e !== 'object' || e === null) throw entryError(file, index, 'is not an object');
  if (typeof e.name !== 'string' || !NAME.test(e.name)) throw entryError(file, index, 'needs a name of lowercase letters, digits, . _ -');
  if (VARIANTS.some((v) => v.name === e.name || v.aliases?.includes(e.name!)))
    throw entryError(file, index, `reuses the name "${e.name}" of a built-in variant`);
  if (e.protocol !== 'http' && e.protocol !== 'fastcgi') throw entryError(file, index, `(${e.name}) needs protocol http or fastcgi`);
  if (e.model !== 'single' && e.model !== 'prefork' && e.model !== 'threaded')
    throw entryError(file, index, `(${e.name}) needs model single, prefork or threaded`);
  const argv = e.command?.argv;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
    throw entryError(file, index, `(${e.name}) needs command.argv, a list of strings with {listen} or {host}/{port}`);
  }
  const requires = e.command?.requires ?? { program: argv[0]!, install: `install ${argv[0]}` };
  return {
    name: e.name,
    protocol: e.protocol,
    model: e.model,
    framework: typeof e.framework === 'string' ? e.framework : 'foreign',
    standsFor: typeof e.standsFor === 'string' ? e.standsFor : `${e.name} (from ${file})`,
    command: { ...e.command, argv, requires },
  };
}

/** Variants declared in a JSON file: an array of manifest entries (see README, "Foreign backends"). */
export function loadManifest(file: string): VariantSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw optionError('--manifest', `cannot read ${file}: ${(error as Error).message}`);
  }
  const entries = Array.isArray(parsed) ? parsed : (parsed as { variants?: unknown })?.variants;
  if (!Array.isArray(entries)) throw optionError('--manifest', `${file} must hold a JSON array of variants (or {"variants": [...]})`);
  const specs = entries.map((entry, i) => checkEntry(entry, file, i));
  const names = new Set<string>();
  for (const spec of specs) {
    if (names.has(spec.name)) throw optionError('--manifest', `${file} declares "${spec.name}" twice`);
    names.add(spec.name);
  }
  return specs;
}
