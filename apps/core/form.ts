// A strict application/x-www-form-urlencoded parser: URLSearchParams would silently turn invalid
// UTF-8 into U+FFFD, and the contract answers such a body with 400 instead.

export type FormFields = Map<string, string[]>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Decodes one percent-encoded component; undefined when the escapes or the UTF-8 are broken. */
export function decodeFormComponent(raw: Buffer, start: number, end: number): string | undefined {
  const bytes = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = raw[i]!;
    if (c === 0x2b) {
      bytes[n++] = 0x20;
    } else if (c === 0x25) {
      const hi = i + 2 < end ? hexValue(raw[i + 1]!) : -1;
      const lo = hi >= 0 ? hexValue(raw[i + 2]!) : -1;
      if (lo < 0) return undefined;
      bytes[n++] = hi * 16 + lo;
      i += 2;
    } else {
      bytes[n++] = c;
    }
  }
  try {
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    return undefined;
  }
}

/** Parses a form body; undefined when any part of it is malformed. */
export function parseForm(raw: Buffer): FormFields | undefined {
  const fields: FormFields = new Map();
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf(0x26, start);
    if (end < 0) end = raw.length;
    if (end > start) {
      let eq = raw.indexOf(0x3d, start);
      if (eq < 0 || eq > end) eq = end;
      const name = decodeFormComponent(raw, start, eq);
      const value = eq < end ? decodeFormComponent(raw, eq + 1, end) : '';
      if (name === undefined || value === undefined) return undefined;
      const values = fields.get(name);
      if (values) values.push(value);
      else fields.set(name, [value]);
    }
    start = end + 1;
  }
  return fields;
}

/** The single value of a field, or undefined when it is absent or repeated. */
export function singleField(fields: FormFields, name: string): string | undefined {
  const values = fields.get(name);
  return values && values.length === 1 ? values[0] : undefined;
}
