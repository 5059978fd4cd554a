import { LabError } from './errors.js';
import { VARIANTS, VARIANT_SETS, findVariant, type VariantSpec } from '../apps/variants.js';

function knownNames(): string {
  return `variants: ${VARIANTS.map((v) => v.name).join(', ')}; sets: ${Object.keys(VARIANT_SETS).join(', ')}`;
}

export function variantByName(name: string): VariantSpec {
  const spec = findVariant(name);
  if (!spec) throw new LabError('BL_ERR_UNKNOWN_VARIANT', `unknown variant "${name}" (${knownNames()})`);
  return spec;
}

/** Resolves `--variants a,b,set` into variants, in order, each once. */
export function selectVariants(list: string): VariantSpec[] {
  const chosen: VariantSpec[] = [];
  for (const raw of list.split(',')) {
    const name = raw.trim();
    if (!name) continue;
    const names = VARIANT_SETS[name] ?? [name];
    for (const n of names) {
      const spec = variantByName(n);
      if (!chosen.includes(spec)) chosen.push(spec);
    }
  }
  if (chosen.length === 0) throw new LabError('BL_ERR_UNKNOWN_VARIANT', `--variants names no variant (${knownNames()})`);
  return chosen;
}
