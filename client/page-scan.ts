// Bounded byte scans of the guestbook page: no HTML parser, no decoding of the whole page.

const CSRF_FIELD = Buffer.from('name="csrf"');
const VALUE_ATTRIBUTE = Buffer.from('value="');
const ENTRIES_START = Buffer.from('<ol class="entries"');
const ENTRIES_END = Buffer.from('</ol');
const ENTRY_OPEN = Buffer.from('<li');
const LESS_THAN = 0x3c;
const GREATER_THAN = 0x3e;
const DOUBLE_QUOTE = 0x22;
const SPACE = 0x20;
/** An `<input>` tag longer than this is not the form the contract describes. */
const MAX_TAG_BYTES = 1024;
const MAX_TOKEN_BYTES = 256;

/** The value of the hidden `csrf` input, or undefined when the page has none. */
export function findCsrfToken(page: Buffer): string | undefined {
  const field = page.indexOf(CSRF_FIELD);
  if (field < 0) return undefined;
  const tagStart = page.lastIndexOf(LESS_THAN, field);
  if (tagStart < 0 || field - tagStart > MAX_TAG_BYTES) return undefined;
  const tag = page.subarray(tagStart, Math.min(page.length, tagStart + MAX_TAG_BYTES));
  const tagEnd = tag.indexOf(GREATER_THAN);
  if (tagEnd < 0) return undefined;
  const value = tag.indexOf(VALUE_ATTRIBUTE);
  if (value < 0 || value > tagEnd) return undefined;
  const start = value + VALUE_ATTRIBUTE.length;
  const end = tag.indexOf(DOUBLE_QUOTE, start);
  if (end <= start || end > tagEnd || end - start > MAX_TOKEN_BYTES) return undefined;
  return tag.toString('latin1', start, end);
}

/** Entries listed on the page: `<li` elements after the entries list starts, counting at most `atMost`. */
export function countEntries(page: Buffer, atMost = Number.MAX_SAFE_INTEGER): number {
  const listStart = page.indexOf(ENTRIES_START);
  if (listStart < 0) return 0;
  const listEnd = page.indexOf(ENTRIES_END, listStart);
  const end = listEnd < 0 ? page.length : listEnd;
  let count = 0;
  let at = page.indexOf(ENTRY_OPEN, listStart + ENTRIES_START.length);
  while (at >= 0 && at < end && count < atMost) {
    // `<li>` or `<li ...>`, not `<link>`.
    const next = page[at + ENTRY_OPEN.length];
    if (next === GREATER_THAN || next === SPACE) count++;
    at = page.indexOf(ENTRY_OPEN, at + ENTRY_OPEN.length);
  }
  return count;
}
