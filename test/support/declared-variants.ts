import assert from 'node:assert/strict';
import { VARIANTS, type VariantSpec } from '../../apps/variants.js';
import { variantAvailable } from '../../lab/stack/variant-command.js';

/**
 * Every variant the manifest declares. A test runs each one; one whose parts are missing here fails
 * loudly (CI installs them) instead of leaving the variant out.
 */
export const DECLARED_VARIANTS: readonly VariantSpec[] = VARIANTS;

export function assertCanRun(variant: VariantSpec): void {
  const available = variantAvailable(variant);
  assert.ok(available.ok, `${variant.name} is declared but cannot run here: ${available.ok ? '' : available.why}`);
}
