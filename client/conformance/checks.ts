import { ContractClient, csrfFieldValue, entryItems, escapeLikeTheContract, form, type Answer } from './contract-http.js';
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
const PAGE_ENTRIES = 20;

interface Session {
  cookie: string;
  token: string;
}

/** Runs every contract check against a live target and returns one finding per contract line. */
export async function runConformance(options: ConformanceOptions): Promise<Finding[]> {
  const http = new ContractClient(options.target.replace(/\/+$/, ''));
  const findings: Finding[] = [];
  const answers: Answer[] = [];
  const seen = async (pending: Promise<Answer>): Promise<Answer> => {
    const answer = await pending;
    answers.push(answer);
    return answer;
  };
  let session: Session | undefined;
  let sequence = 0;
  const marker = (what: string) => `bl-verify:${options.tag}:${++sequence}:${what}`;

  async function check(id: string, line: string, run: () => Promise<void | { status: FindingStatus; detail: string }>): Promise<void> {
    try {
      const outcome = await run();
      findings.push({ id, line, status: outcome?.status ?? 'pass', detail: outcome?.detail ?? '' });
    } catch (error) {
      const detail = error instanceof ContractViolation ? error.message : `no answer: ${(error as Error).message}`;
      findings.push({ id, line, status: 'fail', detail });
    }
  }
  const needSession = (): Session => {
    expect(session, 'no CSRF session: GET / gave no usable cookie and token');
    return session;
  };
  const post = (fields: Array<[string, string]>, s: Session) => seen(http.post(form(fields), { cookie: s.cookie }));
  const page = async (s?: Session) => seen(http.get('/', s?.cookie));

  await check('page.status', 'GET / answers 200 text/html; charset=utf-8', async () => {
    const res = await page();
    expect(res.status === 200, `status ${res.status}`);
    const type = res.headers.get('content-type') ?? '';
    expect(/^text\/html;\s*charset=utf-8$/i.test(type), `Content-Type "${type}"`);
  });

  await check('page.form', 'the page has a form (method=post action=/) with a field body and a hidden field csrf', async () => {
    const res = await page();
    expect(/<form[^>]*method="post"[^>]*action="\/"/i.test(res.text) || /<form[^>]*action="\/"[^>]*method="post"/i.test(res.text), 'no <form method="post" action="/">');
    expect(/name="body"/.test(res.text), 'no field named body');
    expect(/<input[^>]*type="hidden"[^>]*name="csrf"|<input[^>]*name="csrf"[^>]*type="hidden"/.test(res.text), 'no hidden field named csrf');
    expect(res.text.includes('<ol class="entries">'), 'no <ol class="entries"> list');
  });

  await check('cookie.set', 'GET / without a cookie sets csrftoken, equal to the form token', async () => {
    const res = await page();
    const setCookie = res.headers.get('set-cookie') ?? '';
    const match = /(?:^|,\s*)csrftoken=([^;,\s]+)/.exec(setCookie);
    expect(match, `no csrftoken cookie set (Set-Cookie: "${setCookie}")`);
    const token = csrfFieldValue(res.text);
    expect(token === match[1], `form token "${token}" differs from cookie "${match[1]}"`);
    session = { cookie: `csrftoken=${match[1]}`, token: match[1]! };
    const attrs = setCookie.toLowerCase();
    if (!attrs.includes('httponly') || !attrs.includes('samesite=lax')) {
      return { status: 'warn', detail: `cookie lacks HttpOnly or SameSite=Lax: "${setCookie}"` };
    }
  });

  await check('cookie.kept', 'a request with the cookie gets no new cookie and the same token', async () => {
    const s = needSession();
    const res = await page(s);
    expect(res.headers.get('set-cookie') === null, `a new cookie was set: ${res.headers.get('set-cookie')}`);
    expect(csrfFieldValue(res.text) === s.token, 'the form token changed');
  });

  let posted = '';
  await check('post.redirect', 'POST / with a valid form answers 302 Location: /', async () => {
    const s = needSession();
    posted = marker('hello');
    const res = await post([['body', posted], ['csrf', s.token]], s);
    expect(res.status === 302, `status ${res.status}`);
    const location = res.headers.get('location');
    expect(location === '/' || (location !== null && new URL(location, options.target).pathname === '/'), `Location "${location}"`);
    if (location !== '/') return { status: 'warn', detail: `Location is "${location}", not "/"` };
  });

  await check('post.inserts', 'a valid POST inserts one row, shown on the next page exactly once', async () => {
    const s = needSession();
    expect(posted !== '', 'nothing was posted');
    const res = await page(s);
    const shown = res.text.split(escapeLikeTheContract(posted)).length - 1;
    expect(shown === 1, `the posted text is shown ${shown} times`);
  });

  if (options.countRows) {
    const count = options.countRows;
    await check('post.row', 'a valid POST adds exactly one row to entries', async () => {
      const s = needSession();
      const before = await count();
      const res = await post([['body', marker('row')], ['csrf', s.token]], s);
      expect(res.status === 302, `status ${res.status}`);
      const after = await count();
      expect(after === before + 1, `rows went from ${before} to ${after}`);
    });
  }

  await check('post.utf8', 'texts in several scripts come back unchanged (UTF-8 round trip)', async () => {
    const s = needSession();
    const texts = SCRIPTS.map(([script, text]) => [script, `${marker(script)} ${text}`] as const);
    for (const [script, text] of texts) {
      const res = await post([['body', text], ['csrf', s.token]], s);
      expect(res.status === 302, `${script}: status ${res.status}`);
    }
    const res = await page(s);
    const missing = texts.filter(([, text]) => !res.text.includes(escapeLikeTheContract(text))).map(([script]) => script);
    expect(missing.length === 0, `not shown intact: ${missing.join(', ')}`);
  });

  await check('page.escape', 'markup in entries is HTML-escaped', async () => {
    const s = needSession();
    const text = `${marker('markup')} ${MARKUP}`;
    const res = await post([['body', text], ['csrf', s.token]], s);
    expect(res.status === 302, `status ${res.status}`);
    const shown = (await page(s)).text;
    expect(!shown.includes(MARKUP), 'the markup appears unescaped');
    expect(shown.includes(escapeLikeTheContract(text)), 'the escaped text is not shown (expected & < > " \' as &amp; &lt; &gt; &quot; &#39;)');
  });

  await check('page.newest', 'the page shows exactly the 20 newest entries, newest first', async () => {
    const s = needSession();
    const texts: string[] = [];
    for (let i = 0; i < PAGE_ENTRIES + 2; i++) {
      const text = marker(`n${String(i).padStart(2, '0')}`);
      texts.push(text);
      const res = await post([['body', text], ['csrf', s.token]], s);
      expect(res.status === 302, `post ${i}: status ${res.status}`);
    }
    const items = entryItems((await page(s)).text);
    expect(items.length === PAGE_ENTRIES, `${items.length} entries shown`);
    const expected = texts.slice(-PAGE_ENTRIES).reverse();
    const wrong = expected.findIndex((text, i) => !items[i]!.includes(text));
    expect(wrong < 0, `entry ${wrong + 1} is not the ${wrong + 1}. newest`);
  });

  const rejected: string[] = [];
  const reject = (id: string, line: string, status: number, send: (s: Session, text: string) => Promise<Answer>) =>
    check(`reject.${id}`, line, async () => {
      const s = needSession();
      const text = marker(id);
      rejected.push(text);
      const res = await seen(send(s, text));
      expect(res.status === status, `status ${res.status}, expected ${status}`);
    });
  await reject('csrf-mismatch', 'POST with a csrf field that differs from the cookie answers 403', 403, (s, t) => http.post(form([['body', t], ['csrf', 'f'.repeat(s.token.length)]]), { cookie: s.cookie }));
  await reject('csrf-no-cookie', 'POST without the csrftoken cookie answers 403', 403, (s, t) => http.post(form([['body', t], ['csrf', s.token]]), {}));
  await reject('csrf-no-field', 'POST without a csrf field answers 403', 403, (s, t) => http.post(form([['body', t]]), { cookie: s.cookie }));
  await reject('empty-body', 'POST with an empty body field answers 400', 400, (s) => http.post(form([['body', ''], ['csrf', s.token]]), { cookie: s.cookie }));
  await reject('too-long', 'POST with a body of 1001 characters answers 400', 400, (s, t) => http.post(form([['body', `${t} ${'ü'.repeat(1001)}`], ['csrf', s.token]]), { cookie: s.cookie }));
  await reject('invalid-utf8', 'POST with invalid UTF-8 answers 400', 400, (s, t) => http.post(`body=${encodeURIComponent(t)}%FF%FE&csrf=${s.token}`, { cookie: s.cookie }));
  await reject('repeated-body', 'POST with two body fields answers 400', 400, (s, t) => http.post(form([['body', t], ['body', t], ['csrf', s.token]]), { cookie: s.cookie }));
  await reject('too-large', 'POST of a form over 16 KiB answers 413', 413, (s, t) => http.post(form([['body', t], ['csrf', s.token], ['pad', 'x'.repeat(20_000)]]), { cookie: s.cookie }));
  await reject('content-type', 'POST of another content type answers 415', 415, (s, t) => http.send('/', { method: 'POST', headers: { 'content-type': 'text/plain', cookie: s.cookie }, body: form([['body', t], ['csrf', s.token]]) }));
  await check('reject.method', 'other methods on / answer 405 with Allow', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await seen(http.send('/', { method }));
      expect(res.status === 405, `${method}: status ${res.status}`);
      expect((res.headers.get('allow') ?? '').toUpperCase().includes('GET'), `${method}: Allow "${res.headers.get('allow')}"`);
    }
  });
  await check('reject.nothing-inserted', 'a rejected POST inserts nothing', async () => {
    const s = needSession();
    const before = options.countRows ? await options.countRows() : undefined;
    const shown = (await page(s)).text;
    const leaked = rejected.filter((text) => shown.includes(escapeLikeTheContract(text)));
    expect(leaked.length === 0, `rejected posts are on the page: ${leaked.join(', ')}`);
    if (before !== undefined && options.countRows) {
      expect((await options.countRows()) === before, 'rows changed while nothing was posted');
    }
  });

  await check('page.not-found', 'other paths answer 404', async () => {
    const res = await seen(http.get('/no-such-page'));
    if (res.status !== 404) return { status: 'warn', detail: `status ${res.status}` };
  });

  await check('healthz.up', '/healthz answers 200 while the database answers', async () => {
    const res = await seen(http.get('/healthz'));
    expect(res.status === 200, `status ${res.status}`);
  });

  const databaseDown = options.healthzWithDatabaseDown;
  if (databaseDown === undefined) {
    findings.push({ ...DATABASE_DOWN, status: 'warn', detail: 'not checked: the database is not under the checker\'s control' });
  } else if (databaseDown !== 'separately') {
    findings.push(await databaseDownFinding(databaseDown));
  }

  await check('headers.backend', 'every response carries X-Backend', async () => {
    const values = new Set(answers.map((a) => a.headers.get('x-backend')));
    expect(!values.has(null), `${answers.filter((a) => a.headers.get('x-backend') === null).length} of ${answers.length} answers lack it`);
    if (options.expectBackend) expect(values.size === 1 && values.has(options.expectBackend), `values seen: ${[...values].join(', ')}; expected ${options.expectBackend}`);
  });

  await check('headers.worker', 'every response carries X-Worker (pid or pid:thread)', async () => {
    const values = answers.map((a) => a.headers.get('x-worker'));
    const missing = values.filter((v) => v === null).length;
    expect(missing === 0, `${missing} of ${answers.length} answers lack it`);
    const odd = values.filter((v) => !/^\d+(:\d+)?$/.test(v!));
    if (odd.length > 0) return { status: 'warn', detail: `not pid or pid:thread: ${odd[0]}` };
  });

  return findings;
}

