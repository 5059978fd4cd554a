// Reading the few response headers the scenario needs straight from undici's raw name/value buffers.

/**
 * True when a raw header name equals `lowerName` (lower-case letters and '-') ignoring ASCII case.
 * Setting bit 0x20 lower-cases letters and leaves '-' and digits as they are.
 */
export function headerNameIs(name: Buffer, lowerName: Buffer): boolean {
  const length = lowerName.length;
  if (name.length !== length) return false;
  for (let i = 0; i < length; i++) {
    if ((name[i] | 0x20) !== lowerName[i]) return false;
  }
  return true;
}

const CSRF_COOKIE = Buffer.from('csrftoken=');
const SEMICOLON = 0x3b;
const MAX_COOKIE_BYTES = 256;

/** The csrftoken value of one Set-Cookie header, or undefined when it sets another cookie. */
export function csrfCookieValue(setCookie: Buffer): string | undefined {
  let start = 0;
  while (start < setCookie.length && setCookie[start] === 0x20) start++;
  if (setCookie.compare(CSRF_COOKIE, 0, CSRF_COOKIE.length, start, start + CSRF_COOKIE.length) !== 0) return undefined;
  start += CSRF_COOKIE.length;
  const semicolon = setCookie.indexOf(SEMICOLON, start);
  const end = semicolon < 0 ? setCookie.length : semicolon;
  if (end <= start || end - start > MAX_COOKIE_BYTES) return undefined;
  return setCookie.toString('latin1', start, end);
}
