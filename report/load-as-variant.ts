// A client's result alone (one `benchlab load`, or merged shards) as a row of the comparison: the
// server side was not sampled and the contract not checked, so those figures are null, and integrity
// is known only after an audit.
import { integrityOf, type MarkerAudit } from '../common/integrity.js';
import type { LoadResult, VariantResult } from '../common/result.js';

export function loadAsVariant(result: LoadResult, audit?: MarkerAudit): VariantResult {
  return {
    ...result,
    integrity: integrityOf(result.posts, result.users.failed, audit),
    server: null,
    nginx: null,
    database: null,
    setup: { startMs: null, workers: null, contractCheck: 'not checked' },
  };
}
