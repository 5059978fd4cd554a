// A scenario target with a known answer time, for the accuracy bench: every request is held for
// DELAY_MS; from STALL_AT_MS after start, for STALL_MS, answers are held until the stall ends.
// It measures what it really did (receipt to answer, per step) so the client's figures can be set
// against the truth rather than against the nominal delay; GET /stats returns those figures.
// Prints its URL on stdout, then serves until SIGTERM.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { newTimeHistogram, summarise } from '../client/histogram.js';
import type { StepName } from '../client/result.js';

const delayMs = Number(process.env['DELAY_MS'] ?? 0);
const stallAtMs = Number(process.env['STALL_AT_MS'] ?? -1);
const stallMs = Number(process.env['STALL_MS'] ?? 0);
const startedMs = performance.now();
const held = { get: newTimeHistogram(), post: newTimeHistogram(), redirect: newTimeHistogram() };
const entries = Array.from({ length: 20 }, (_, i) => `<li id="e${i}">entry ${i}</li>`).join('\n');

/** The wait for a request arriving now: the fixed delay, or until the stall ends. */
function waitMs(now: number): number {
  const sinceStart = now - startedMs;
  const inStall = stallAtMs >= 0 && sinceStart >= stallAtMs && sinceStart < stallAtMs + stallMs;
  return inStall ? stallAtMs + stallMs - sinceStart + delayMs : delayMs;
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, step: StepName, receivedMs: number): void {
  const headers: http.OutgoingHttpHeaders = { 'x-backend': 'delay-target', 'x-worker': String(process.pid), 'content-type': 'text/html; charset=utf-8' };
  let body = '';
  if (step === 'post') {
    res.writeHead(302, { ...headers, location: '/', 'content-length': 0 });
  } else {
    const token = randomBytes(16).toString('hex');
    if (step === 'get') headers['set-cookie'] = `csrftoken=${token}; Path=/`;
    body = `<form method="post" action="/"><input type="hidden" name="csrf" value="${token}"></form>\n<ol class="entries">\n${entries}\n</ol>\n`;
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
  }
  res.end(body);
  held[step].recordValue(Math.round((performance.now() - receivedMs) * 1000));
  void req;
}

const server = http.createServer((req, res) => {
  const receivedMs = performance.now();
  if (req.url === '/stats') {
    res.end(JSON.stringify({ get: summarise(held.get), post: summarise(held.post), redirect: summarise(held.redirect) }));
    return;
  }
  const step: StepName = req.method === 'POST' ? 'post' : req.headers.cookie ? 'redirect' : 'get';
  req.resume();
  req.once('end', () => setTimeout(() => answer(req, res, step, receivedMs), Math.max(0, waitMs(receivedMs) - (performance.now() - receivedMs))));
});
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
