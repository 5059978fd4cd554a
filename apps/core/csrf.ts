import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CSRF_COOKIE } from './limits.js';

// Double-submit token: the form field must equal the cookie, which another origin cannot read.
const TOKEN_PATTERN = /^[0-9a-f]{32}$/;

export function newCsrfToken(): string {
  return randomBytes(16).toString('hex');
}

/** The csrftoken cookie's value when it is well formed, else undefined (a new one is then issued). */
export function csrfTokenFromCookie(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== CSRF_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return TOKEN_PATTERN.test(value) ? value : undefined;
  }
  return undefined;
}

export function csrfTokensMatch(cookieToken: string | undefined, formToken: string | undefined): boolean {
  if (!cookieToken || !formToken || formToken.length !== cookieToken.length) return false;
  return timingSafeEqual(Buffer.from(cookieToken), Buffer.from(formToken));
}

export function csrfCookieHeader(token: string): string {
  return `${CSRF_COOKIE}=${token}; Path=/; SameSite=Lax; HttpOnly`;
}
