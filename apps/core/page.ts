import { escapeHtml } from '../../common/html-escape.js';
import { MAX_BODY_CHARS } from './limits.js';

export interface Entry {
  id: number;
  body: string;
  createdAt: Date;
}

const HEAD = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Guestbook</title></head>\n<body>\n';

/** The guestbook page: the form and the newest entries, newest first. */
export function guestbookPage(entries: readonly Entry[], csrfToken: string): string {
  let items = '';
  for (const e of entries) {
    items += `<li id="e${e.id}"><time datetime="${e.createdAt.toISOString()}">${e.createdAt.toISOString()}</time> ${escapeHtml(e.body)}</li>\n`;
  }
  return (
    HEAD +
    '<h1>Guestbook</h1>\n' +
    '<form method="post" action="/">\n' +
    `<input type="hidden" name="csrf" value="${csrfToken}">\n` +
    `<textarea name="body" maxlength="${MAX_BODY_CHARS}" required></textarea>\n` +
    '<button type="submit">Sign</button>\n' +
    '</form>\n' +
    `<ol class="entries">\n${items}</ol>\n` +
    '</body></html>\n'
  );
}

export const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorPage(status: number, reason: string): string {
  const title = `${status} ${STATUS_TEXT[status] ?? 'Error'}`;
  return `${HEAD}<h1>${title}</h1>\n<p>${escapeHtml(reason)}</p>\n</body></html>\n`;
}
