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

/** Characters a run tag may hold (`benchlab load --run-tag`): none that the contract escapes, and no ':'. */
export const MAX_RUN_TAG_CHARS = 32;

/**
 * The run tag of one measurement of a run (a variant, a capacity step, a `--repeat` round): the run's
 * tag, then a 64-bit FNV-1a hash of the measurement's label in base 36. Unlike a cut-off label, two
 * labels never share a tag whatever their length, and every tag has the same length, so none is the
 * start of another.
 */
export function measurementTag(runTag: string, label: string): string {
  let high = 0xcbf29ce4;
  let low = 0x84222325;
  for (let i = 0; i < label.length; i++) {
    low = (low ^ label.charCodeAt(i)) >>> 0;
    // × the FNV prime 0x100000001b3, on two 32-bit halves.
    const lowTimes = low * 0x1b3;
    const carry = Math.floor(lowTimes / 0x1_0000_0000);
    high = (Math.imul(high, 0x1b3) + Math.imul(low, 0x100) + carry) >>> 0;
    low = lowTimes >>> 0;
  }
  const hash = `${high.toString(36).padStart(7, '0')}${low.toString(36).padStart(7, '0')}`;
  return `${runTag}m${hash}`;
}
