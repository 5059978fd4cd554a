// Plain requests for the conformance check: redirects are never followed, so each answer is seen as sent.

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export const FORM_TYPE = 'application/x-www-form-urlencoded';
const REQUEST_TIMEOUT_MS = 10_000;

export class ContractClient {
  constructor(readonly base: string) {}

  async send(path: string, init: RequestInit = {}): Promise<Answer> {
    const res = await fetch(`${this.base}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  get(path: string, cookie?: string): Promise<Answer> {
    return this.send(path, cookie ? { headers: { cookie } } : {});
  }

  post(body: string, headers: Record<string, string>): Promise<Answer> {
    return this.send('/', { method: 'POST', headers: { 'content-type': FORM_TYPE, ...headers }, body });
  }
}

export function form(fields: Array<[string, string]>): string {
  return fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** The entries list's items, in page order. */
export function entryItems(page: string): string[] {
  const start = page.indexOf('<ol class="entries">');
  if (start < 0) return [];
  const end = page.indexOf('</ol>', start);
  const list = page.slice(start, end < 0 ? undefined : end);
  return list.split('<li').slice(1);
}

export function csrfFieldValue(page: string): string | undefined {
  return /<input[^>]*name="csrf"[^>]*value="([^"]*)"/.exec(page)?.[1] ?? /<input[^>]*value="([^"]*)"[^>]*name="csrf"/.exec(page)?.[1];
}
