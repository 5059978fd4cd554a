// Facts a reader must see before trusting a row: interrupted runs, users turned away, and checks not passed or not made.
import type { VariantResult } from '../common/result.js';
import { isolationCaveats } from './isolation-section.js';
import { measuredStartCaveats, warmUpCaveats } from './warm-up-check.js';

export function resultCaveats(results: readonly VariantResult[]): string[] {
  return results.flatMap((r) => [
    ...(r.users.notStarted > 0 ? [`${r.variant}: ${r.users.notStarted} users never started (the run was interrupted).`] : []),
    ...((r.users.dropped ?? 0) > 0
      ? [
          `${r.variant}: ${r.users.dropped} users were dropped at the in-flight cap (--max-active ${r.options.maxActive}); they count as failed users (class dropped).`,
        ]
      : []),
    ...(r.setup.contractCheck === 'fail' ? [`${r.variant}: failed the conformance check before the run.`] : []),
    ...(r.setup.contractCheck === 'not checked' ? [`${r.variant}: the contract was not checked before this load (a plain load or merged shards).`] : []),
    ...(r.validity && !r.validity.valid ? [`${r.variant}: INVALID: ${r.validity.reasons.join('; ')}.`] : []),
    ...isolationCaveats([r]),
    ...warmUpCaveats([r]),
    ...measuredStartCaveats([r]),
  ]);
}
