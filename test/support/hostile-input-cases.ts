// The hostile inputs every variant must survive, as data: what is sent, and who answers what at
// each layer (nginx in front, or the FastCGI port itself). hostile-input.test.ts sends them.
import type { VariantSpec } from '../../apps/variants.js';
import { rawForm, type HostileRequest, type Layer } from './hostile-requests.js';

/** Who gives the answer: the app (with the contract's headers), nginx on its own, or nobody (the connection closes). */
export interface Expected {
  status: number;
  by: 'app' | 'nginx' | 'none';
}

export interface HostileCase {
  what: string;
  request: HostileRequest;
  expect(layer: Layer, variant: VariantSpec): Expected;
}

/** A visitor's CSRF token and the cookie that carries it. */
export interface Visitor {
  token: string;
  cookie: string;
}

const FORM = 'application/x-www-form-urlencoded';
const byApp = (status: number) => (): Expected => ({ status, by: 'app' });
const nginxFirst =
  (nginxStatus: number, appStatus: number) =>
  (layer: Layer): Expected =>
    layer === 'nginx' ? { status: nginxStatus, by: 'nginx' } : { status: appStatus, by: 'app' };

function post(s: Visitor, body: Buffer | string, extra: Partial<HostileRequest> = {}): HostileRequest {
  return { method: 'POST', path: '/', contentType: FORM, cookie: s.cookie, body, ...extra };
}

const pct = (text: string) => encodeURIComponent(text);

export function limitCases(s: Visitor): HostileCase[] {
  const valid = rawForm([
    ['body', 'cut'],
    ['csrf', s.token],
  ]);
  return [
    { what: 'a form over the 16 KiB limit', request: post(s, `${valid}&pad=${'a'.repeat(20_000)}`), expect: byApp(413) },
    { what: "a form over nginx's 64 KiB client_max_body_size", request: post(s, `${valid}&pad=${'a'.repeat(70_000)}`), expect: nginxFirst(413, 413) },
    {
      what: 'a valid form announced as 200 bytes, cut after its own length and the connection closed',
      request: post(s, valid, { contentLength: 200, truncateBodyAt: valid.length }),
      expect: () => ({ status: 0, by: 'none' }),
    },
    {
      what: 'the field body at 1001 characters',
      request: post(
        s,
        rawForm([
          ['body', pct('é'.repeat(1001))],
          ['csrf', s.token],
        ]),
      ),
      expect: byApp(400),
    },
    {
      what: 'the field body at 16,000 characters',
      request: post(
        s,
        rawForm([
          ['body', 'x'.repeat(16_000)],
          ['csrf', s.token],
        ]),
      ),
      expect: byApp(400),
    },
    {
      what: 'a 10 KB field name and no body field',
      request: post(
        s,
        rawForm([
          ['n'.repeat(10_000), '1'],
          ['csrf', s.token],
        ]),
      ),
      expect: byApp(400),
    },
    { what: 'a 10 KB cookie on GET', request: { method: 'GET', path: '/', cookie: `${s.cookie}; junk=${'j'.repeat(10_000)}` }, expect: nginxFirst(400, 200) },
    { what: 'a 7 KB cookie on GET', request: { method: 'GET', path: '/', cookie: `${s.cookie}; junk=${'j'.repeat(7_000)}` }, expect: byApp(200) },
  ];
}

export function contentTypeCases(s: Visitor): HostileCase[] {
  const valid = rawForm([
    ['body', 'typed'],
    ['csrf', s.token],
  ]);
  const types = ['text/plain', 'multipart/form-data; boundary=x', 'application/json', 'application/x-www-form-urlencodedx', 'text/html; charset=utf-8'];
  return [
    { what: 'no Content-Type', request: { method: 'POST', path: '/', cookie: s.cookie, body: valid }, expect: byApp(415) },
    ...types.map((type): HostileCase => ({ what: `Content-Type ${type}`, request: post(s, valid, { contentType: type }), expect: byApp(415) })),
  ];
}

export function encodingCases(s: Visitor): HostileCase[] {
  const csrf = `csrf=${s.token}`;
  const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  const cases: Array<[string, Buffer | string]> = [
    ['percent-encoded invalid UTF-8 (%ff%fe)', `body=%ff%fe&${csrf}`],
    ['raw invalid UTF-8 bytes', bytes('body=ok', [0xff, 0xfe], `&${csrf}`)],
    ['an overlong UTF-8 encoding of "/" (%c0%af)', `body=%c0%af&${csrf}`],
    ['a UTF-16 surrogate encoded as UTF-8 (%ed%a0%80)', `body=%ed%a0%80&${csrf}`],
    ['a broken percent escape (%zz)', `body=a%zzb&${csrf}`],
    ['a percent escape cut at the end', `${csrf}&body=ab%4`],
    ['a percent-encoded NUL (%00)', `body=a%00b&${csrf}`],
    ['a raw NUL byte', bytes('body=a', [0], `b&${csrf}`)],
    ["invalid UTF-8 in another field's name", `x%ff=1&body=ok&${csrf}`],
  ];
  return cases.map(([what, body]) => ({ what, request: post(s, body), expect: byApp(400) }));
}

/** `a=1` pairs: 4000 of them (16 KB) fit under the form limit, 5000 do not. */
const pairs = (n: number) => Array.from({ length: n }, () => 'a=1').join('&');

export function fieldCases(s: Visitor): HostileCase[] {
  return [
    { what: '5000 fields (20 KB)', request: post(s, `${pairs(5000)}&body=x&csrf=${s.token}`), expect: byApp(413) },
    { what: '4000 fields and no body field', request: post(s, `${pairs(4000)}&csrf=${s.token}`), expect: byApp(400) },
    {
      what: 'two body fields',
      request: post(
        s,
        rawForm([
          ['body', 'one'],
          ['body', 'two'],
          ['csrf', s.token],
        ]),
      ),
      expect: byApp(400),
    },
    {
      what: 'two csrf fields',
      request: post(
        s,
        rawForm([
          ['body', 'one'],
          ['csrf', s.token],
          ['csrf', s.token],
        ]),
      ),
      expect: byApp(403),
    },
    {
      what: 'an empty body field',
      request: post(
        s,
        rawForm([
          ['body', ''],
          ['csrf', s.token],
        ]),
      ),
      expect: byApp(400),
    },
  ];
}

export function csrfCases(s: Visitor): HostileCase[] {
  const other = 'f'.repeat(32);
  const form = (csrf: string) =>
    rawForm([
      ['body', 'forged'],
      ['csrf', csrf],
    ]);
  return [
    { what: 'no cookie', request: post(s, form(s.token), { cookie: undefined }), expect: byApp(403) },
    { what: 'no csrf field', request: post(s, rawForm([['body', 'forged']])), expect: byApp(403) },
    { what: 'a field that does not match the cookie', request: post(s, form(other)), expect: byApp(403) },
    { what: 'the token in upper case', request: post(s, form(s.token.toUpperCase())), expect: byApp(403) },
    { what: 'a malformed cookie token that equals the field', request: post(s, form(pct('<x>')), { cookie: 'csrftoken=<x>' }), expect: byApp(403) },
    { what: 'an empty cookie token and an empty field', request: post(s, form(''), { cookie: 'csrftoken=' }), expect: byApp(403) },
  ];
}

export function pathAndMethodCases(): HostileCase[] {
  const get = (path: string): HostileRequest => ({ method: 'GET', path });
  const on = (method: string, path = '/'): HostileRequest => ({ method, path });
  return [
    { what: 'GET /nope', request: get('/nope'), expect: byApp(404) },
    { what: 'GET /index.php?x=1', request: get('/index.php?x=1'), expect: byApp(404) },
    { what: 'POST /healthz', request: { ...on('POST', '/healthz'), body: '' }, expect: byApp(405) },
    ...['PUT', 'DELETE', 'PATCH', 'OPTIONS'].map((m): HostileCase => ({ what: `${m} /`, request: on(m), expect: byApp(405) })),
    { what: 'TRACE /', request: on('TRACE'), expect: nginxFirst(405, 405) },
    {
      what: 'an unknown method FOO /',
      request: on('FOO'),
      // Node's HTTP parser knows no method FOO, so an HTTP variant refuses it as unreadable (400).
      expect: (layer, variant) => ({ status: layer === 'nginx' && variant.protocol === 'http' && !variant.command ? 400 : 405, by: 'app' }),
    },
    { what: 'a path climbing out of the root', request: get('/../etc/passwd'), expect: nginxFirst(400, 404) },
    { what: 'a percent-encoded path climbing out of the root', request: get('/%2e%2e/%2e%2e/etc/passwd'), expect: nginxFirst(400, 404) },
  ];
}

/** Texts that must be stored exactly and shown escaped, never run. */
/** Each text, and how the page must show it: & < > " ' escaped as the contract says, written out. */
export const MARKUP_AND_SQL: ReadonlyArray<readonly [text: string, shown: string]> = [
  ["'; DROP TABLE entries; --", '&#39;; DROP TABLE entries; --'],
  ["1' OR '1'='1", '1&#39; OR &#39;1&#39;=&#39;1'],
  ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
  ['"><img src=x onerror=alert(1)>', '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'],
  ["a\\'b & c; DELETE FROM entries", 'a\\&#39;b &amp; c; DELETE FROM entries'],
];

/** Accepted at the edge of the limits and stored exactly; `tag` keeps each layer's texts apart. */
export function acceptedEdgeCases(s: Visitor, tag: string): Array<{ what: string; request: HostileRequest; stores: string }> {
  const wide = `${tag}${'𝄞'.repeat(1000 - tag.length)}`;
  const form = (text: string) =>
    rawForm([
      ['body', pct(text)],
      ['csrf', s.token],
    ]);
  return [
    { what: '1000 characters of four bytes each (12 KB encoded)', request: post(s, form(wide)), stores: wide },
    { what: '4000 other fields besides body and csrf', request: post(s, `${pairs(4000)}&${form(`${tag} many fields`)}`), stores: `${tag} many fields` },
    {
      what: 'a Content-Type with parameters',
      request: post(s, form(`${tag} with charset`), { contentType: `${FORM}; charset=UTF-8` }),
      stores: `${tag} with charset`,
    },
  ];
}
