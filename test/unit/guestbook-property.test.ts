import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createGuestbook, CONTENT_SECURITY_POLICY, type CoreResponse, type GuestbookHandler } from '../../apps/core/guestbook.js';
import type { EntryStore } from '../../apps/core/entry-store.js';
import type { Entry } from '../../apps/core/page.js';
import { FORM_CONTENT_TYPE, MAX_BODY_CHARS, MAX_FORM_BYTES, PAGE_ENTRIES } from '../../apps/core/limits.js';
import { buildFastifyApp } from '../../apps/adapters/fastify-app.js';

// Random form posts against the core, in process: whatever the fields, values, encodings, content
// type and cookie, the status is the one the contract gives, a row appears exactly when it is 302,
// and the page shows every stored text escaped.

const TOKEN = '0123456789abcdef0123456789abcdef';
const OTHER_TOKEN = 'fedcba9876543210fedcba9876543210';
const identity = { backend: 'property', worker: '1' };

function memoryStore(): EntryStore & { rows: string[] } {
  const rows: string[] = [];
  const createdAt = new Date(0);
  return {
    rows,
    async latest(): Promise<Entry[]> {
      return rows
        .map((body, i) => ({ id: i + 1, body, createdAt }))
        .slice(-PAGE_ENTRIES)
        .reverse();
    },
    async insert(body) {
      rows.push(body);
    },
    async ping() {
      return true;
    },
    async close() {},
  };
}

/** How a field is put on the wire; the last three break the form. */
type Encoding = 'standard' | 'percent-all' | 'raw' | 'invalid-utf8' | 'broken-escape' | 'raw-invalid-byte';
const BREAKING: ReadonlySet<Encoding> = new Set(['invalid-utf8', 'broken-escape', 'raw-invalid-byte']);

interface Field {
  name: string;
  value: string;
  encoding: Encoding;
}

function encode(text: string, encoding: Encoding): Buffer {
  const standard = encodeURIComponent(text).replace(/%20/g, '+');
  switch (encoding) {
    case 'standard':
      return Buffer.from(standard);
    case 'percent-all':
      // Every byte escaped, hex digits in both cases.
      return Buffer.from(
        [...Buffer.from(text)]
          .map((b, i) => {
            const hex = b.toString(16).padStart(2, '0');
            return `%${i % 2 ? hex.toUpperCase() : hex}`;
          })
          .join(''),
      );
    case 'raw':
      // Raw UTF-8 with only the form's own delimiters escaped.
      return Buffer.from(text.replace(/[%&=+]/g, (c) => `%${c.charCodeAt(0).toString(16)}`));
    case 'invalid-utf8':
      return Buffer.from(`${standard}%ff`);
    case 'broken-escape':
      return Buffer.from(`${standard}%g`);
    case 'raw-invalid-byte':
      return Buffer.concat([Buffer.from(standard), Buffer.from([0xc3])]);
  }
}

const hostileChar = fc.constantFrom('a', 'Z', ' ', '<', '>', '&', '"', "'", ';', '-', '=', '+', '%', '\0', '\n', 'é', '世', '𝄞', '\u202e');
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: hostileChar, minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: MAX_BODY_CHARS - 1, max: MAX_BODY_CHARS + 1 }).chain((n) => fc.constantFrom('x', 'é', '𝄞').map((c) => c.repeat(n))),
  },
);
const encoding = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom<Encoding>('standard', 'percent-all', 'raw') },
  { weight: 1, arbitrary: fc.constantFrom<Encoding>('invalid-utf8', 'broken-escape', 'raw-invalid-byte') },
);
const field = fc.record({
  name: fc.oneof({ weight: 1, arbitrary: fc.constantFrom('body', 'csrf') }, { weight: 4, arbitrary: fc.string({ unit: hostileChar, maxLength: 6 }) }),
  value: fc.oneof(text, fc.constantFrom(TOKEN, OTHER_TOKEN)),
  encoding,
});
/** Usually one csrf field with the cookie's token and one body field, so the deeper checks are reached. */
const fields = fc
  .tuple(
    fc.array(field, { maxLength: 3 }),
    fc.option(fc.record({ name: fc.constant('csrf'), value: fc.constant(TOKEN), encoding }), { freq: 6 }),
    fc.option(fc.record({ name: fc.constant('body'), value: text, encoding }), { freq: 6 }),
  )
  .chain(([extra, csrf, body]) => {
    const all: Field[] = [...extra, ...(csrf ? [csrf] : []), ...(body ? [body] : [])];
    return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
  });

/** Cookie headers and the token the core must read from each. */
const cookies: Array<[string | undefined, string | undefined]> = [
  [`csrftoken=${TOKEN}`, TOKEN],
  [`a=b; csrftoken=${TOKEN}; c=d`, TOKEN],
  [`csrftoken=${OTHER_TOKEN}`, OTHER_TOKEN],
  [`csrftoken=${OTHER_TOKEN}; csrftoken=${TOKEN}`, OTHER_TOKEN],
  [`csrftoken=${TOKEN.toUpperCase()}`, undefined],
  [`csrftoken=${TOKEN}x`, undefined],
  [undefined, undefined],
];
const contentTypes: Array<[string | undefined, boolean]> = [
  [FORM_CONTENT_TYPE, true],
  [`${FORM_CONTENT_TYPE}; charset=UTF-8`, true],
  [FORM_CONTENT_TYPE.toUpperCase(), true],
  ['text/plain', false],
  ['multipart/form-data; boundary=x', false],
  [`${FORM_CONTENT_TYPE}x`, false],
  [undefined, false],
];

/** The first `valid` entries of a list are the well-formed ones; they are drawn `weight` times as often. */
const mostlyValid = <T>(list: T[], valid: number, weight = 3) =>
  fc.oneof({ weight, arbitrary: fc.constantFrom(...list.slice(0, valid)) }, { weight: 1, arbitrary: fc.constantFrom(...list.slice(valid)) });

const post = fc.record({
  fields,
  cookie: mostlyValid(cookies, 2),
  contentType: mostlyValid(contentTypes, 3),
  padding: fc.constantFrom(0, 0, 0, 0, 0, MAX_FORM_BYTES),
});
type Post = typeof post extends fc.Arbitrary<infer T> ? T : never;

function formBytes(p: Post): Buffer {
  const parts = p.fields.map((f: Field) => Buffer.concat([encode(f.name, f.encoding), Buffer.from('='), encode(f.value, f.encoding)]));
  if (p.padding > 0) parts.push(Buffer.from(`pad=${'p'.repeat(p.padding)}`));
  return Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [part] : [Buffer.from('&'), part])));
}

/** The contract (ARCHITECTURE.md) as a model: the status a post must get, and what it stores. */
function expected(p: Post, bytes: Buffer, withBodyLimit: boolean): { status: number | number[]; stores?: string } {
  // Without a content type a framework may refuse before it reads the body (fastify) or after (Node's own).
  if (withBodyLimit && bytes.length > MAX_FORM_BYTES) return { status: p.contentType[0] === undefined ? [413, 415] : 413 };
  if (!p.contentType[1]) return { status: 415 };
  if (p.fields.some((f: Field) => BREAKING.has(f.encoding))) return { status: 400 };
  const values = (name: string) => p.fields.filter((f: Field) => f.name === name).map((f: Field) => f.value);
  const csrf = values('csrf');
  const cookieToken = p.cookie[1];
  if (cookieToken === undefined || csrf.length !== 1 || csrf[0] !== cookieToken) return { status: 403 };
  const body = values('body');
  const length = body.length === 1 ? [...body[0]!].length : 0;
  if (body.length !== 1 || length < 1 || length > MAX_BODY_CHARS || body[0]!.includes('\0')) return { status: 400 };
  return { status: 302, stores: body[0]! };
}

const unescapeHtml = (html: string) => html.replace(/&(lt|gt|quot|#39|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);

/** Every stored text appears on the page, newest first, with no markup character unescaped. */
function assertPageShows(page: CoreResponse, rows: string[]): void {
  assert.equal(page.status, 200);
  const list = /<ol class="entries">\n([\s\S]*)<\/ol>/.exec(page.body)?.[1];
  assert.ok(list !== undefined, 'the page has its list of entries');
  const shown = list
    .split('</li>\n')
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^<li id="e\d+"><time datetime="[^"<>]*">[^<>]*<\/time> ([^<>"']*)$/.exec(line);
      assert.ok(match, `an entry holds no markup: ${JSON.stringify(line)}`);
      assert.doesNotMatch(match[1]!, /&(?!(lt|gt|quot|#39|amp);)/, 'every & starts an entity');
      return unescapeHtml(match[1]!);
    });
  assert.deepEqual(shown, rows.slice(-PAGE_ENTRIES).reverse());
}

function assertContractHeaders(res: { headers: Record<string, unknown> }): void {
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.equal(res.headers['x-backend'], identity.backend);
}

async function checkPost(
  p: Post,
  send: (p: Post, bytes: Buffer) => Promise<{ status: number; headers: Record<string, unknown> }>,
  handle: GuestbookHandler,
  store: ReturnType<typeof memoryStore>,
  withBodyLimit: boolean,
): Promise<void> {
  const bytes = formBytes(p);
  const want = expected(p, bytes, withBodyLimit);
  const before = [...store.rows];
  const res = await send(p, bytes);
  const allowed = Array.isArray(want.status) ? want.status : [want.status];
  assert.ok(
    allowed.includes(res.status),
    `status ${res.status}, not ${allowed.join(' or ')}, for ${JSON.stringify(bytes.subarray(0, 300).toString('latin1'))}`,
  );
  assertContractHeaders(res);
  assert.deepEqual(store.rows, want.stores === undefined ? before : [...before, want.stores], 'a row is inserted exactly when the answer is 302');
  assertPageShows(await handle({ method: 'GET', path: '/', cookie: p.cookie[0] }), store.rows);
}

test('any form posted to the core gets its contract status, inserts only on 302, and is shown escaped', async () => {
  const store = memoryStore();
  const handle = createGuestbook(store, identity);
  const send = (p: Post, bytes: Buffer) => handle({ method: 'POST', path: '/', cookie: p.cookie[0], contentType: p.contentType[0], body: bytes });
  await fc.assert(
    fc.asyncProperty(post, (p) => checkPost(p, send, handle, store, false)),
    { numRuns: 400 },
  );
});

test('through the fastify adapter the same holds, and a form over 16 KiB answers 413', async () => {
  const store = memoryStore();
  const handle = createGuestbook(store, identity);
  const app = buildFastifyApp({ protocol: 'http', handle, identity });
  try {
    const send = async (p: Post, bytes: Buffer) => {
      const headers: Record<string, string> = {};
      // light-my-request would otherwise choose a content type for the payload itself.
      headers['content-type'] = p.contentType[0] ?? '';
      if (p.cookie[0] !== undefined) headers['cookie'] = p.cookie[0];
      const res = await app.inject({ method: 'POST', url: '/', headers, payload: bytes });
      return { status: res.statusCode, headers: res.headers };
    };
    await fc.assert(
      fc.asyncProperty(post, (p) => checkPost(p, send, handle, store, true)),
      { numRuns: 150 },
    );
  } finally {
    await app.close();
  }
});
