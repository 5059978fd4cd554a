// Facts a reader must see before trusting a row: interrupted runs and failed conformance checks.
import type { VariantResult } from '../common/result.js';

export function resultCaveats(results: readonly VariantResult[]): string[] {
  return results.flatMap((r) => [
    ...(r.users.notStarted > 0 ? [`${r.variant}: ${r.users.notStarted} users never started (the run was interrupted).`] : []),
    ...(r.setup.contractCheck === 'fail' ? [`${r.variant}: failed the conformance check before the run.`] : []),
    ...(r.validity && !r.validity.valid ? [`${r.variant}: INVALID, the client was saturated: ${r.validity.reasons.join('; ')}.`] : []),
  ]);
}
