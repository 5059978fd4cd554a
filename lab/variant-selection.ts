import { LabError } from '../common/errors.js';
import { VARIANTS, VARIANT_SETS, findVariant, type VariantSpec } from '../apps/variants.js';

function knownNames(): string {
  return `see \`benchlab variants\`; sets: ${Object.keys(VARIANT_SETS).join(', ')}; globs like http-*-express`;
}

export function variantByName(name: string, extra: readonly VariantSpec[] = []): VariantSpec {
  const spec = findVariant(name, [...VARIANTS, ...extra]);
  if (!spec) throw new LabError('BL_ERR_UNKNOWN_VARIANT', `unknown variant "${name}" (${knownNames()})`);
  return spec;
}

function globPattern(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^,]*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Names one item of `--variants` stands for: a set, a glob over canonical names, or one name. */
function expand(item: string, extra: readonly VariantSpec[]): readonly string[] {
  const set = item === 'all' ? [...VARIANT_SETS['all']!, ...extra.map((v) => v.name)] : VARIANT_SETS[item];
  if (set) return set;
  if (/[*?]/.test(item)) {
    const pattern = globPattern(item);
    const names = [...VARIANTS, ...extra].filter((v) => pattern.test(v.name)).map((v) => v.name);
    if (names.length === 0) throw new LabError('BL_ERR_UNKNOWN_VARIANT', `"${item}" matches no variant (${knownNames()})`);
    return names;
  }
  return [item];
}

/** Resolves `--variants a,b,set,glob` into variants, in order, each once. */
export function selectVariants(list: string, extra: readonly VariantSpec[] = []): VariantSpec[] {
  const chosen: VariantSpec[] = [];
  for (const raw of list.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    for (const name of expand(item, extra)) {
      const spec = variantByName(name, extra);
      if (!chosen.some((c) => c.name === spec.name)) chosen.push(spec);
    }
  }
  if (chosen.length === 0) throw new LabError('BL_ERR_UNKNOWN_VARIANT', `--variants names no variant (${knownNames()})`);
  return chosen;
}
