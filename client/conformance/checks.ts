import { ContractClient, csrfFieldValue, entryItems, form, type Answer } from './contract-http.js';
import { ContractViolation, expect, type Finding, type FindingStatus } from '../../common/finding.js';

export interface ConformanceOptions {
  /** nginx (or the server) to check, e.g. http://127.0.0.1:8080. */
  target: string;
  /** X-Backend every answer must carry; without it any non-empty value passes. */
  expectBackend?: string;
  /** Makes posted texts unique to this check. */
  tag: string;
  /** Counts the table's rows, when the checker may see the database. */
  countRows?: () => Promise<number>;
  /**
   * Fetches /healthz of the same server while its database is down, when the caller can arrange that;
   * 'separately' leaves that line out for the caller to check later with databaseDownFinding.
   */
  healthzWithDatabaseDown?: (() => Promise<Answer>) | 'separately';
}

const DATABASE_DOWN = { id: 'healthz.down', line: '/healthz answers 503 when the database does not' };

/** The contract line `/healthz answers 503 when the database does not`, from an answer of a server without its database. */
export async function databaseDownFinding(healthz: () => Promise<Answer>): Promise<Finding> {
  try {
    const res = await healthz();
    return { ...DATABASE_DOWN, status: res.status === 503 ? 'pass' : 'fail', detail: res.status === 503 ? '' : `status ${res.status}` };
  } catch (error) {
    return { ...DATABASE_DOWN, status: 'fail', detail: `no answer: ${(error as Error).message}` };
  }
}

const SCRIPTS: Array<[string, string]> = [
  ['Latin', 'Ça déjà vu, naïve façade'],
  ['Greek', 'Καλημέρα κόσμε'],
  ['Cyrillic', 'Привет, мир'],
  ['Arabic', 'مرحبا بالعالم'],
  ['Hebrew', 'שלום עולם'],
  ['Devanagari', 'नमस्ते दुनिया'],
  ['CJK', '你好，世界 こんにちは 안녕하세요'],
  ['emoji', 'four bytes: 🎉🚀'],
];
const MARKUP = `<script>alert("x")</script> & 'quotes' <b>bold</b>`;
/**
 * What the page must show for each text, written out here rather than computed: the contract escapes
 * exactly & < > " ' (as &amp; &lt; &gt; &quot; &#39;), once, and nothing else.
 */
export const ESCAPED: ReadonlyArray<readonly [text: string, shown: string]> = [
  [MARKUP, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; &lt;b&gt;bold&lt;/b&gt;'],
  ['&', '&amp;'],
  ['<>', '&lt;&gt;'],
  [`"'`, '&quot;&#39;'],
  ['&amp; &lt;', '&amp;amp; &amp;lt;'],
  ['a=b;c%d/e\\f`g', 'a=b;c%d/e\\f`g'],
  ['Ça 你好 🎉', 'Ça 你好 🎉'],
];
const PAGE_ENTRIES = 20;

interface Session {
  cookie: string;
  token: string;
}

type Outcome = { status: FindingStatus; detail: string } | undefined;

/** What the checks share while they run in order: the client, the session and what was posted. */
interface CheckRun {
  options: ConformanceOptions;
  http: ContractClient;
  /** Every answer seen, for the header checks at the end. */
  answers: Answer[];
  session: Session | undefined;
  /** The text the valid POST posted. */
  posted: string;
  /** Texts of posts that had to be rejected. */
  rejected: string[];
  sequence: number;
}

interface NamedCheck {
  id: string;
  line: string;
  /** Leave the check out when this is false (e.g. no database to count rows in). */
  applies?: (run: CheckRun) => boolean;
  check: (run: CheckRun) => Promise<Outcome>;
}

/** A posted text unique to this check: letters, digits, ':' and '-' only, so the page shows it as it is. */
const marker = (run: CheckRun, what: string) => `bl-verify:${run.options.tag}:${++run.sequence}:${what}`;

async function seen(run: CheckRun, pending: Promise<Answer>): Promise<Answer> {
  const answer = await pending;
  run.answers.push(answer);
  return answer;
}

const page = (run: CheckRun, s?: Session) => seen(run, run.http.get('/', s?.cookie));
const post = (run: CheckRun, fields: Array<[string, string]>, s: Session) => seen(run, run.http.post(form(fields), { cookie: s.cookie }));
const postBody = (run: CheckRun, body: string, s: Session) =>
  post(
    run,
    [
      ['body', body],
      ['csrf', s.token],
    ],
    s,
  );

function needSession(run: CheckRun): Session {
  expect(run.session, 'no CSRF session: GET / gave no usable cookie and token');
  return run.session;
}

/** A POST the contract refuses with `status`, and that must insert nothing. */
function rejection(id: string, line: string, status: number, send: (http: ContractClient, s: Session, text: string) => Promise<Answer>): NamedCheck {
  return {
    id: `reject.${id}`,
    line,
    check: async (run) => {
      const s = needSession(run);
      const text = marker(run, id);
      run.rejected.push(text);
      const res = await seen(run, send(run.http, s, text));
      expect(res.status === status, `status ${res.status}, expected ${status}`);
      return undefined;
    },
  };
}

const withToken = (s: Session, fields: Array<[string, string]>): string => form([...fields, ['csrf', s.token]]);

/** The contract, line by line, in the order the checks run. */
export const CONFORMANCE_CHECKS: readonly NamedCheck[] = [
  {
    id: 'page.status',
    line: 'GET / answers 200 text/html; charset=utf-8',
    check: async (run) => {
      const res = await page(run);
      expect(res.status === 200, `status ${res.status}`);
      const type = res.headers.get('content-type') ?? '';
      expect(/^text\/html;\s*charset=utf-8$/i.test(type), `Content-Type "${type}"`);
      return undefined;
    },
  },
  {
    id: 'page.form',
    line: 'the page has a form (method=post action=/) with a field body and a hidden field csrf',
    check: async (run) => {
      const res = await page(run);
      expect(
        /<form[^>]*method="post"[^>]*action="\/"/i.test(res.text) || /<form[^>]*action="\/"[^>]*method="post"/i.test(res.text),
        'no <form method="post" action="/">',
      );
      expect(/name="body"/.test(res.text), 'no field named body');
      expect(/<input[^>]*type="hidden"[^>]*name="csrf"|<input[^>]*name="csrf"[^>]*type="hidden"/.test(res.text), 'no hidden field named csrf');
      expect(res.text.includes('<ol class="entries">'), 'no <ol class="entries"> list');
      return undefined;
    },
  },
  {
    id: 'cookie.set',
    line: 'GET / without a cookie sets csrftoken, equal to the form token',
    check: async (run) => {
      const res = await page(run);
      const setCookie = res.headers.get('set-cookie') ?? '';
      const match = /(?:^|,\s*)csrftoken=([^;,\s]+)/.exec(setCookie);
      expect(match, `no csrftoken cookie set (Set-Cookie: "${setCookie}")`);
      const token = csrfFieldValue(res.text);
      expect(token === match[1], `form token "${token}" differs from cookie "${match[1]}"`);
      run.session = { cookie: `csrftoken=${match[1]}`, token: match[1]! };
      const attrs = setCookie.toLowerCase();
      if (!attrs.includes('httponly') || !attrs.includes('samesite=lax')) {
        return { status: 'warn', detail: `cookie lacks HttpOnly or SameSite=Lax: "${setCookie}"` };
      }
      return undefined;
    },
  },
  {
    id: 'cookie.kept',
    line: 'a request with the cookie gets no new cookie and the same token',
    check: async (run) => {
      const s = needSession(run);
      const res = await page(run, s);
      expect(res.headers.get('set-cookie') === null, `a new cookie was set: ${res.headers.get('set-cookie')}`);
      expect(csrfFieldValue(res.text) === s.token, 'the form token changed');
      return undefined;
    },
  },
  {
    id: 'post.redirect',
    line: 'POST / with a valid form answers 302 Location: /',
    check: async (run) => {
      const s = needSession(run);
      run.posted = marker(run, 'hello');
      const res = await postBody(run, run.posted, s);
      expect(res.status === 302, `status ${res.status}`);
      const location = res.headers.get('location');
      expect(location === '/' || (location !== null && new URL(location, run.options.target).pathname === '/'), `Location "${location}"`);
      if (location !== '/') return { status: 'warn', detail: `Location is "${location}", not "/"` };
      return undefined;
    },
  },
  {
    id: 'post.inserts',
    line: 'a valid POST inserts one row, shown on the next page exactly once',
    check: async (run) => {
      const s = needSession(run);
      expect(run.posted !== '', 'nothing was posted');
      const res = await page(run, s);
      const shown = res.text.split(run.posted).length - 1;
      expect(shown === 1, `the posted text is shown ${shown} times`);
      return undefined;
    },
  },
  {
    id: 'post.row',
    line: 'a valid POST adds exactly one row to entries',
    applies: (run) => run.options.countRows !== undefined,
    check: async (run) => {
      const count = run.options.countRows!;
      const s = needSession(run);
      const before = await count();
      const res = await postBody(run, marker(run, 'row'), s);
      expect(res.status === 302, `status ${res.status}`);
      const after = await count();
      expect(after === before + 1, `rows went from ${before} to ${after}`);
      return undefined;
    },
  },
  {
    id: 'post.utf8',
    line: 'texts in several scripts come back unchanged (UTF-8 round trip)',
    check: async (run) => {
      const s = needSession(run);
      const texts = SCRIPTS.map(([script, text]) => [script, `${marker(run, script)} ${text}`] as const);
      for (const [script, text] of texts) {
        const res = await postBody(run, text, s);
        expect(res.status === 302, `${script}: status ${res.status}`);
      }
      const res = await page(run, s);
      // None of these texts holds a character the contract escapes: the page shows them as posted.
      const missing = texts.filter(([, text]) => !res.text.includes(text)).map(([script]) => script);
      expect(missing.length === 0, `not shown intact: ${missing.join(', ')}`);
      return undefined;
    },
  },
  {
    id: 'page.escape',
    line: 'markup in entries is HTML-escaped',
    check: async (run) => {
      const s = needSession(run);
      const posts = ESCAPED.map(([text, shown]) => {
        const prefix = `${marker(run, 'markup')} `;
        return { text: prefix + text, shown: prefix + shown };
      });
      for (const { text } of posts) {
        const res = await postBody(run, text, s);
        expect(res.status === 302, `status ${res.status}`);
      }
      const html = (await page(run, s)).text;
      expect(!html.includes(MARKUP), 'the markup appears unescaped');
      const wrong = posts.filter(({ shown }) => !html.includes(shown));
      expect(
        wrong.length === 0,
        `not shown as ${wrong.map(({ shown }) => JSON.stringify(shown)).join(', ')} (& < > " ' escape as &amp; &lt; &gt; &quot; &#39;)`,
      );
      return undefined;
    },
  },
  {
    id: 'page.newest',
    line: 'the page shows exactly the 20 newest entries, newest first',
    check: async (run) => {
      const s = needSession(run);
      const texts: string[] = [];
      for (let i = 0; i < PAGE_ENTRIES + 2; i++) {
        const text = marker(run, `n${String(i).padStart(2, '0')}`);
        texts.push(text);
        const res = await postBody(run, text, s);
        expect(res.status === 302, `post ${i}: status ${res.status}`);
      }
      const items = entryItems((await page(run, s)).text);
      expect(items.length === PAGE_ENTRIES, `${items.length} entries shown`);
      const expected = texts.slice(-PAGE_ENTRIES).reverse();
      const wrong = expected.findIndex((text, i) => !items[i]!.includes(text));
      expect(wrong < 0, `entry ${wrong + 1} is not the ${wrong + 1}. newest`);
      return undefined;
    },
  },
  rejection('csrf-mismatch', 'POST with a csrf field that differs from the cookie answers 403', 403, (http, s, t) =>
    http.post(
      form([
        ['body', t],
        ['csrf', 'f'.repeat(s.token.length)],
      ]),
      { cookie: s.cookie },
    ),
  ),
  rejection('csrf-no-cookie', 'POST without the csrftoken cookie answers 403', 403, (http, s, t) => http.post(withToken(s, [['body', t]]), {})),
  rejection('csrf-no-field', 'POST without a csrf field answers 403', 403, (http, s, t) => http.post(form([['body', t]]), { cookie: s.cookie })),
  rejection('empty-body', 'POST with an empty body field answers 400', 400, (http, s) => http.post(withToken(s, [['body', '']]), { cookie: s.cookie })),
  rejection('too-long', 'POST with a body of 1001 characters answers 400', 400, (http, s, t) =>
    http.post(withToken(s, [['body', `${t} ${'ü'.repeat(1001)}`]]), { cookie: s.cookie }),
  ),
  rejection('invalid-utf8', 'POST with invalid UTF-8 answers 400', 400, (http, s, t) =>
    http.post(`body=${encodeURIComponent(t)}%FF%FE&csrf=${s.token}`, { cookie: s.cookie }),
  ),
  rejection('repeated-body', 'POST with two body fields answers 400', 400, (http, s, t) =>
    http.post(
      withToken(s, [
        ['body', t],
        ['body', t],
      ]),
      { cookie: s.cookie },
    ),
  ),
  rejection('too-large', 'POST of a form over 16 KiB answers 413', 413, (http, s, t) =>
    http.post(
      form([
        ['body', t],
        ['csrf', s.token],
        ['pad', 'x'.repeat(20_000)],
      ]),
      { cookie: s.cookie },
    ),
  ),
  rejection('content-type', 'POST of another content type answers 415', 415, (http, s, t) =>
    http.send('/', { method: 'POST', headers: { 'content-type': 'text/plain', cookie: s.cookie }, body: withToken(s, [['body', t]]) }),
  ),
  {
    id: 'reject.method',
    line: 'other methods on / answer 405 with Allow',
    check: async (run) => {
      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        const res = await seen(run, run.http.send('/', { method }));
        expect(res.status === 405, `${method}: status ${res.status}`);
        expect((res.headers.get('allow') ?? '').toUpperCase().includes('GET'), `${method}: Allow "${res.headers.get('allow')}"`);
      }
      return undefined;
    },
  },
  {
    id: 'reject.nothing-inserted',
    line: 'a rejected POST inserts nothing',
    check: async (run) => {
      const s = needSession(run);
      const before = run.options.countRows ? await run.options.countRows() : undefined;
      const shown = (await page(run, s)).text;
      const leaked = run.rejected.filter((text) => shown.includes(text));
      expect(leaked.length === 0, `rejected posts are on the page: ${leaked.join(', ')}`);
      if (before !== undefined && run.options.countRows) {
        expect((await run.options.countRows()) === before, 'rows changed while nothing was posted');
      }
      return undefined;
    },
  },
  {
    id: 'page.not-found',
    line: 'other paths answer 404',
    check: async (run) => {
      const res = await seen(run, run.http.get('/no-such-page'));
      return res.status === 404 ? undefined : { status: 'warn', detail: `status ${res.status}` };
    },
  },
  {
    id: 'healthz.up',
    line: '/healthz answers 200 while the database answers',
    check: async (run) => {
      const res = await seen(run, run.http.get('/healthz'));
      expect(res.status === 200, `status ${res.status}`);
      return undefined;
    },
  },
  {
    ...DATABASE_DOWN,
    applies: (run) => run.options.healthzWithDatabaseDown !== 'separately',
    check: async (run) => {
      const healthz = run.options.healthzWithDatabaseDown;
      if (healthz === undefined || healthz === 'separately') return { status: 'warn', detail: "not checked: the database is not under the checker's control" };
      const down = await databaseDownFinding(healthz);
      return down.status === 'pass' ? undefined : { status: down.status, detail: down.detail };
    },
  },
  {
    id: 'headers.backend',
    line: 'every response carries X-Backend',
    check: async ({ answers, options }) => {
      const values = new Set(answers.map((a) => a.headers.get('x-backend')));
      expect(!values.has(null), `${answers.filter((a) => a.headers.get('x-backend') === null).length} of ${answers.length} answers lack it`);
      if (options.expectBackend) {
        expect(values.size === 1 && values.has(options.expectBackend), `values seen: ${[...values].join(', ')}; expected ${options.expectBackend}`);
      }
      return undefined;
    },
  },
  {
    id: 'headers.worker',
    line: 'every response carries X-Worker (pid or pid:thread)',
    check: async ({ answers }) => {
      const values = answers.map((a) => a.headers.get('x-worker'));
      const missing = values.filter((v) => v === null).length;
      expect(missing === 0, `${missing} of ${answers.length} answers lack it`);
      const odd = values.filter((v) => !/^\d+(:\d+)?$/.test(v!));
      return odd.length > 0 ? { status: 'warn', detail: `not pid or pid:thread: ${odd[0]}` } : undefined;
    },
  },
];

/** Runs every contract check against a live target, in order, and returns one finding per contract line. */
export async function runConformance(options: ConformanceOptions): Promise<Finding[]> {
  const run: CheckRun = {
    options,
    http: new ContractClient(options.target.replace(/\/+$/, '')),
    answers: [],
    session: undefined,
    posted: '',
    rejected: [],
    sequence: 0,
  };
  const findings: Finding[] = [];
  for (const { id, line, applies, check } of CONFORMANCE_CHECKS) {
    if (applies && !applies(run)) continue;
    try {
      const outcome = await check(run);
      findings.push({ id, line, status: outcome?.status ?? 'pass', detail: outcome?.detail ?? '' });
    } catch (error) {
      const detail = error instanceof ContractViolation ? error.message : `no answer: ${(error as Error).message}`;
      findings.push({ id, line, status: 'fail', detail });
    }
  }
  return findings;
}
