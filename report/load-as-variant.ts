// A client's result alone (one `benchlab load`, or merged shards) as a row of the comparison:
// the server side was not sampled, so its figures are empty, and integrity is known only after an audit.
import type { LoadResult, ResourceSummary, VariantResult } from '../common/result.js';

/** What a database audit of the accepted posts' markers found. */
export interface MarkerCount {
  rows: number;
  missing: number;
  duplicated: number;
}

const NOT_SAMPLED: ResourceSummary = { cpuSeconds: 0, rssPeakBytes: 0, rssMeanBytes: 0, samples: 0, processes: 0 };

export function integrityOf(posts: LoadResult['posts'], audit: MarkerCount | undefined): VariantResult['integrity'] {
  const { accepted, indeterminate } = posts;
  if (audit === undefined) {
    return { postsAccepted: accepted, postsIndeterminate: indeterminate, rows: 0, missing: 0, duplicated: 0, ok: true, audited: false };
  }
  return {
    postsAccepted: accepted,
    postsIndeterminate: indeterminate,
    ...audit,
    // A timed-out POST may or may not have been written; beyond those, every row must be accounted for.
    ok: audit.missing === 0 && audit.duplicated === 0 && audit.rows >= accepted && audit.rows <= accepted + indeterminate,
    audited: true,
  };
}

export function loadAsVariant(result: LoadResult, audit?: MarkerCount): VariantResult {
  return {
    ...result,
    integrity: integrityOf(result.posts, audit),
    server: NOT_SAMPLED,
    nginx: NOT_SAMPLED,
    database: null,
    setup: { startMs: 0, workers: 0, contractCheck: 'pass' },
  };
}
