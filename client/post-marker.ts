// The text each user posts: unique per run and user, so the database audit can match rows exactly,
// and mixing scripts and markup characters, so encoding and escaping faults show up as content errors.
const MIXED = ` héllo мир 世界 <b>&"'`;
/** MIXED as the contract shows it on the page, written out rather than computed: & < > " ' escaped, nothing else. */
const MIXED_SHOWN = ' héllo мир 世界 &lt;b&gt;&amp;&quot;&#39;';

export function postMarker(runTag: string, userIndex: number): string {
  return `bl:${runTag}:${userIndex}${MIXED}`;
}

/** How the page shows postMarker's text (a run tag holds no character the contract escapes). */
export function shownPostMarker(runTag: string, userIndex: number): string {
  return `bl:${runTag}:${userIndex}${MIXED_SHOWN}`;
}

/**
 * A run tag unlikely to repeat: the start time in base 36 and six random hex digits.
 * Math.random (seeded by V8 from the system's entropy) is random enough for that, and spares
 * every client process node:crypto, about 1 MB of its peak memory.
 */
export function newRunTag(): string {
  return `${Date.now().toString(36)}-${Math.floor(Math.random() * 0x1000000)
    .toString(16)
    .padStart(6, '0')}`;
}
