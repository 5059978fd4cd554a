import type { EntryStore } from './entry-store.js';
import { csrfCookieHeader, csrfTokenFromCookie, csrfTokensMatch, newCsrfToken } from './csrf.js';
import { parseForm, singleField } from './form.js';
import { errorPage, guestbookPage } from './page.js';
import { FORM_CONTENT_TYPE, MAX_BODY_CHARS } from './limits.js';

/** What the core needs of a request; every adapter reduces its framework's request to this. */
export interface CoreRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  cookie?: string | undefined;
  contentType?: string | undefined;
  body?: Buffer | undefined;
}

export interface CoreResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Identity {
  /** The variant name, sent as X-Backend. */
  backend: string;
  /** `pid` or `pid:thread`, sent as X-Worker. */
  worker: string;
}

export type GuestbookHandler = (req: CoreRequest) => Promise<CoreResponse>;

const ALLOWED = 'GET, HEAD, POST';

// The page needs no script, style or frame: forbid them all, so stored markup could do nothing even unescaped.
export const CONTENT_SECURITY_POLICY = "default-src 'none'; form-action 'self'; frame-ancestors 'none'";

export function responseHeaders(identity: Identity): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-backend': identity.backend,
    'x-worker': identity.worker,
  };
}

/** An error page with the contract's headers; adapters use it for errors raised before the core runs (413). */
export function errorResponse(identity: Identity, status: number, reason: string): CoreResponse {
  const headers = responseHeaders(identity);
  if (status === 405) headers['allow'] = ALLOWED;
  return { status, headers, body: errorPage(status, reason) };
}

function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function createGuestbook(store: EntryStore, identity: Identity): GuestbookHandler {
  const fail = (status: number, reason: string) => errorResponse(identity, status, reason);

  async function showPage(req: CoreRequest): Promise<CoreResponse> {
    const cookieToken = csrfTokenFromCookie(req.cookie);
    const token = cookieToken ?? newCsrfToken();
    const entries = await store.latest();
    const headers = responseHeaders(identity);
    if (!cookieToken) headers['set-cookie'] = csrfCookieHeader(token);
    return { status: 200, headers, body: guestbookPage(entries, token) };
  }

  async function addEntry(req: CoreRequest): Promise<CoreResponse> {
    if (mediaType(req.contentType) !== FORM_CONTENT_TYPE) {
      return fail(415, `POST / takes ${FORM_CONTENT_TYPE}`);
    }
    const fields = parseForm(req.body ?? Buffer.alloc(0));
    if (!fields) return fail(400, 'the form is not valid urlencoded UTF-8');
    if (!csrfTokensMatch(csrfTokenFromCookie(req.cookie), singleField(fields, 'csrf'))) {
      return fail(403, 'the CSRF token is missing or does not match the cookie');
    }
    const body = singleField(fields, 'body');
    const length = body === undefined ? 0 : codePoints(body);
    if (body === undefined || length < 1 || length > MAX_BODY_CHARS) {
      return fail(400, `the field body must hold 1 to ${MAX_BODY_CHARS} characters`);
    }
    // NUL is no text: an HTML parser turns it into U+FFFD, so the page could not show what was stored.
    if (body.includes('\0')) return fail(400, 'the field body must not contain NUL');
    await store.insert(body);
    const headers = responseHeaders(identity);
    headers['location'] = '/';
    return { status: 302, headers, body: '' };
  }

  async function health(): Promise<CoreResponse> {
    const up = await store.ping();
    const headers = responseHeaders(identity);
    headers['content-type'] = 'text/plain; charset=utf-8';
    return { status: up ? 200 : 503, headers, body: up ? 'ok\n' : 'database unavailable\n' };
  }

  return async function handle(req) {
    try {
      if (req.path === '/') {
        if (req.method === 'GET' || req.method === 'HEAD') return await showPage(req);
        if (req.method === 'POST') return await addEntry(req);
        return fail(405, `${req.method} is not allowed on /`);
      }
      if (req.path === '/healthz') {
        if (req.method === 'GET' || req.method === 'HEAD') return await health();
        return fail(405, `${req.method} is not allowed on /healthz`);
      }
      return fail(404, `no page at ${req.path}`);
    } catch {
      // The store threw: the database is down or refused the query.
      return fail(503, 'the database did not answer');
    }
  };
}
