// Warms a client's own code before its measured users start, without loading the target: uncounted
// users against a stand-in guestbook served from this same process. A measuring client is a fresh
// Node process; cold, it started its first users 8–35 ms late in its first second (the timeline's
// latenessMaxMs, median 16.5 ms over seven runs, 9 ms warmed; 2–8 ms later on), so users arrived in
// bunches, nginx spread them over workers the warm-up had left idle, and default runs were flagged
// for their lateness p99 alone (bench/README.md, "Warm-up"). The stand-in answers as the contract asks (a csrf cookie and field,
// a 302 back to the page, the user's own post listed, the expected X-Backend), so the users take the
// same paths through the client as the measured ones.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadOptions } from './load-options.js';
import { escapeHtml } from '../common/html-escape.js';
import type { LoadResult } from '../common/result.js';
import { runLoad } from './load.js';

/** Users per second of the self-warm: brisk, and still light beside the lab's warm-up on the same CPU. */
export const SELF_WARM_RATE = 500;
/** The self-warm users' posts carry this tag; they never reach the target's table. */
const SELF_WARM_TAG = 'self-warm';
const PAGE_ENTRIES = 20;

/**
 * Runs `users` uncounted users against a stand-in in this process (or worker thread), then closes
 * it; their result (never counted). `rate` is this loop's share of SELF_WARM_RATE: the event loops
 * of one client share its CPUs, and with the lab's own warm-up beside them.
 */
export async function warmClientCode(
  options: Pick<LoadOptions, 'timeoutMs' | 'expectBackend' | 'checkOwnPost'>,
  users: number,
  signal: AbortSignal,
  rate = SELF_WARM_RATE,
): Promise<LoadResult> {
  const standIn = await startStandIn(options.expectBackend ?? 'stand-in');
  try {
    return await runLoad(
      {
        target: standIn.url,
        variant: 'self-warm',
        users,
        rampSeconds: users / rate,
        timeoutMs: options.timeoutMs,
        arrival: 'uniform',
        checkOwnPost: options.checkOwnPost ?? true,
        ...(options.expectBackend === undefined ? {} : { expectBackend: options.expectBackend }),
        runTag: SELF_WARM_TAG,
      },
      { signal },
    );
  } finally {
    await standIn.close();
  }
}

/** The guestbook's contract in memory, on an ephemeral loopback port. */
async function startStandIn(backend: string): Promise<{ url: string; close(): Promise<void> }> {
  const posts: string[] = [];
  const server = createServer((request, response) => {
    response.setHeader('X-Backend', backend);
    response.setHeader('X-Worker', String(process.pid));
    const token = /(?:^|;\s*)csrftoken=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
    if (request.url !== '/') return void response.writeHead(404).end();
    if (request.method === 'GET') return page(response, token, posts);
    if (request.method === 'POST') return void bodyOf(request).then((text) => post(response, text, token, posts));
    response.writeHead(405).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function page(response: ServerResponse, token: string | undefined, posts: readonly string[]): void {
  const csrf = token ?? randomBytes(16).toString('hex');
  if (token === undefined) response.setHeader('Set-Cookie', `csrftoken=${csrf}; Path=/; SameSite=Lax`);
  const entries = posts
    .slice(-PAGE_ENTRIES)
    .reverse()
    .map((text) => `<li class="entry">${escapeHtml(text)}</li>`);
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end(
    `<!doctype html><html><head><title>Guestbook</title></head><body><form method="post" action="/">` +
      `<textarea name="body"></textarea><input type="hidden" name="csrf" value="${csrf}"><button>Sign</button></form>` +
      `<ol class="entries">\n${entries.join('\n')}\n</ol></body></html>`,
  );
}

function post(response: ServerResponse, text: string, token: string | undefined, posts: string[]): void {
  const form = new URLSearchParams(text);
  if (token === undefined || form.get('csrf') !== token) return void response.writeHead(403).end();
  posts.push(form.get('body') ?? '');
  if (posts.length > 4 * PAGE_ENTRIES) posts.splice(0, posts.length - PAGE_ENTRIES);
  response.writeHead(302, { Location: '/' }).end();
}

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(''));
  });
}
