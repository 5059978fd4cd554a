// The integrity rule, in one place: after a measurement, the table holds every accepted post exactly
// once and nothing else of consequence. Markers are `bl:<tag>:<user> …` (client/post-marker.ts).

/** How the table's rows sort against one measurement's posts. */
export interface MarkerAudit {
  /** Rows of the measured users (accepted or not): what the measurement wrote. */
  rows: number;
  /** Accepted posts without a row. */
  missing: number;
  /** Accepted posts with more than one row. */
  duplicated: number;
  /** Rows of the measured users whose POST got an error or no answer after the write (a killed worker, a restarted database). */
  unaccepted: number;
  /** Rows that carry no marker of this measurement nor of its warm-up: always a failure. */
  foreign: number;
  /** Rows of the warm-up's uncounted users, left in the table where nothing emptied it (compose). */
  warmup: number;
}

/** The tags a measurement's markers carry: its clients' own, and the warm-up's. */
export interface MarkerTags {
  measured: readonly string[];
  warmup: readonly string[];
}

/** The tag a marker body carries, or undefined when it is not a benchlab marker. */
export function markerTag(body: string): string | undefined {
  if (!body.startsWith('bl:')) return undefined;
  const end = body.indexOf(':', 3);
  return end < 0 ? undefined : body.slice(3, end);
}

/** Sorts the stored bodies (body -> rows with it) against the accepted markers and the tags. */
export function auditRows(stored: ReadonlyMap<string, number>, accepted: readonly string[], tags: MarkerTags): MarkerAudit {
  const audit: MarkerAudit = { rows: 0, missing: 0, duplicated: 0, unaccepted: 0, foreign: 0, warmup: 0 };
  const acceptedSet = new Set(accepted);
  for (const marker of accepted) {
    const count = stored.get(marker) ?? 0;
    if (count === 0) audit.missing++;
    if (count > 1) audit.duplicated++;
  }
  const measured = new Set(tags.measured);
  const warmup = new Set(tags.warmup);
  for (const [body, count] of stored) {
    const tag = markerTag(body);
    if (tag !== undefined && measured.has(tag)) {
      audit.rows += count;
      if (!acceptedSet.has(body)) audit.unaccepted += count;
    } else if (tag !== undefined && warmup.has(tag)) {
      audit.warmup += count;
    } else {
      audit.foreign += count;
    }
  }
  return audit;
}

export interface Integrity {
  postsAccepted: number;
  postsIndeterminate: number;
  /** false when no database was audited (client shards merged without one): the counts below are null then. */
  audited: boolean;
  rows: number | null;
  missing: number | null;
  duplicated: number | null;
  unaccepted: number | null;
  foreign: number | null;
  warmup: number | null;
  /** null when not audited. */
  ok: boolean | null;
  /** Why it failed, one phrase per broken count; empty when ok or not audited. */
  problems: string[];
}

/**
 * The rule: no accepted post missing or doubled, no foreign row, and no more unaccepted rows than
 * users who failed (each failed user posted at most once, and a write may land before its error).
 */
export function integrityOf(posts: { accepted: number; indeterminate: number }, failedUsers: number, audit: MarkerAudit | undefined): Integrity {
  if (audit === undefined) {
    return {
      postsAccepted: posts.accepted,
      postsIndeterminate: posts.indeterminate,
      audited: false,
      rows: null,
      missing: null,
      duplicated: null,
      unaccepted: null,
      foreign: null,
      warmup: null,
      ok: null,
      problems: [],
    };
  }
  const problems = [
    ...(audit.missing > 0 ? [`${audit.missing} missing`] : []),
    ...(audit.duplicated > 0 ? [`${audit.duplicated} duplicated`] : []),
    ...(audit.foreign > 0 ? [`${audit.foreign} foreign`] : []),
    ...(audit.unaccepted > failedUsers ? [`${audit.unaccepted} unaccepted (more than the ${failedUsers} failed users)`] : []),
  ];
  return { postsAccepted: posts.accepted, postsIndeterminate: posts.indeterminate, audited: true, ...audit, ok: problems.length === 0, problems };
}

/** One line for a person: "ok", "–" (not audited), or "FAIL: 3 missing, 2 foreign". */
export function integrityText(integrity: Integrity, missingMark: string): string {
  if (integrity.audited === false) return missingMark;
  if (integrity.ok) return 'ok';
  // Results written before the rule named its problems carry only the counts.
  const problems = integrity.problems ?? [`${integrity.missing ?? 0} missing, ${integrity.duplicated ?? 0} duplicated`];
  return `FAIL: ${problems.join(', ')}`;
}
