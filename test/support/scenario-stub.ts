// A minimal in-memory guestbook that meets the scenario contract, with switches to misbehave,
// so the load client can be tested without nginx or a database.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubMisbehaviour {
  /** X-Backend value (default "stub"). */
  backend?: string;
  /** Entries present before the run, so a full page can hide newer posts. */
  prefill?: number;
  /** Store posts but never list them on the page. */
  hidePosts?: boolean;
  /** Answer a POST with this status instead of storing it, chosen from the posted text. */
  postStatus?(body: string): number | undefined;
  /** Destroy the connection instead of answering a POST. */
  dropPost?(body: string): boolean;
  /** Wait this long before answering a POST (the post is stored first). */
  postDelayMs?(body: string): number;
  /** Wait this long before answering every GET (a function is asked per request). */
  getDelayMs?: number | (() => number);
  /** Escape entries this way instead of the contract's. */
  escape?: (text: string) => string;
  /** Close the connection after every response, so each request needs a new one. */
  closeEveryConnection?: boolean;
}

export interface ScenarioStub {
  url: string;
  /** Bodies stored by answered POSTs, oldest first. */
  readonly rows: string[];
  close(): Promise<void>;
}

const PAGE_ENTRIES = 20;
const WORKERS = 3;

export async function startScenarioStub(misbehaviour: StubMisbehaviour = {}): Promise<ScenarioStub> {
  const rows: string[] = [];
  const listed: string[] = [];
  for (let i = 0; i < (misbehaviour.prefill ?? 0); i++) listed.push(`prefilled entry ${i}`);
  let requests = 0;

  const server: Server = createServer((request, response) => {
    response.setHeader('X-Backend', misbehaviour.backend ?? 'stub');
    response.setHeader('X-Worker', `${process.pid}:${requests++ % WORKERS}`);
    if (misbehaviour.closeEveryConnection) response.setHeader('Connection', 'close');
    const token = cookieToken(request);
    if (request.method === 'GET' && request.url === '/') {
      const answer = () => answerPage(response, token, listed, misbehaviour.escape);
      const delayMs = typeof misbehaviour.getDelayMs === 'function' ? misbehaviour.getDelayMs() : misbehaviour.getDelayMs;
      if (delayMs) setTimeout(answer, delayMs);
      else answer();
      return;
    }
    if (request.method === 'POST' && request.url === '/') {
      void readBody(request).then((text) => answerPost(request, response, text, token));
      return;
    }
    response.writeHead(404).end();
  });

  function answerPost(request: IncomingMessage, response: ServerResponse, text: string, token: string | undefined): void {
    const form = new URLSearchParams(text);
    const body = form.get('body') ?? '';
    if (token === undefined || form.get('csrf') !== token) return void response.writeHead(403).end('bad token');
    if (misbehaviour.dropPost?.(body)) return void request.socket.destroy();
    const status = misbehaviour.postStatus?.(body);
    if (status !== undefined) return void response.writeHead(status).end('failed');
    rows.push(body);
    if (!misbehaviour.hidePosts) listed.push(body);
    const answer = () => {
      if (!response.destroyed) response.writeHead(302, { Location: '/' }).end();
    };
    const delayMs = misbehaviour.postDelayMs?.(body) ?? 0;
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rows,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answerPage(response: ServerResponse, token: string | undefined, listed: readonly string[], escapeText = escapeHtml): void {
  if (response.destroyed) return;
  let csrf = token;
  if (csrf === undefined) {
    csrf = randomBytes(16).toString('hex');
    response.setHeader('Set-Cookie', `csrftoken=${csrf}; Path=/; SameSite=Lax`);
  }
  const items = listed
    .slice(-PAGE_ENTRIES)
    .reverse()
    .map((body) => `<li class="entry">${escapeText(body)}</li>`)
    .join('\n');
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end(
    `<!doctype html><html><head><link rel="stylesheet" href="/s.css"><title>Guestbook</title></head><body>` +
      `<form method="post" action="/"><textarea name="body"></textarea>` +
      `<input type="hidden" name="csrf" value="${csrf}"><button>Sign</button></form>` +
      `<ol class="entries">\n${items}\n</ol></body></html>`,
  );
}

function cookieToken(request: IncomingMessage): string | undefined {
  const match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(request.headers.cookie ?? '');
  return match?.[1];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(''));
  });
}

// Written independently of the client's escaping, so a mismatch between the two shows up in tests.
function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}
