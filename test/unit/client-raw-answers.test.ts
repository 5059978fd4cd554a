import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { runLoad } from '../../client/load.js';
import type { LoadResult } from '../../common/result.js';

// A scenario server written at the byte level, to send answers the way some servers and proxies do:
// heads cut into pieces, chunked bodies, pages larger than one read, a close after every answer.

interface RawStyle {
  /** Bytes per write, with a pause between writes so each lands in its own read. */
  pieceBytes?: number;
  chunked?: boolean;
  /** Entries of padding before the token, to make the page span several reads. */
  paddingBytes?: number;
  closeAfterEach?: boolean;
}

const TOKEN = 'feedc0ffee';

function page(style: RawStyle): string {
  const padding = `<p>${'x'.repeat(style.paddingBytes ?? 0)}</p>`;
  return `<html><body>${padding}<form method="post" action="/"><input type="hidden" name="csrf" value="${TOKEN}"></form><ol class="entries"></ol></body></html>`;
}

function answer(status: number, headers: string[], body: string, style: RawStyle): Buffer {
  const framing = style.chunked ? ['Transfer-Encoding: chunked'] : [`Content-Length: ${Buffer.byteLength(body)}`];
  const connection = style.closeAfterEach ? ['Connection: close'] : [];
  const head = [`HTTP/1.1 ${status} X`, 'X-Backend: raw', 'X-Worker: 7', ...headers, ...framing, ...connection, '', ''].join('\r\n');
  if (!style.chunked) return Buffer.from(head + body);
  const pieces = [];
  for (let at = 0; at < body.length; at += 1000) {
    const piece = body.slice(at, at + 1000);
    pieces.push(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
  }
  return Buffer.from(`${head}${pieces.join('')}0\r\n\r\n`);
}

async function writeInPieces(socket: net.Socket, bytes: Buffer, pieceBytes: number | undefined): Promise<void> {
  if (pieceBytes === undefined) return void socket.write(bytes);
  for (let at = 0; at < bytes.length && !socket.destroyed; at += pieceBytes) {
    socket.write(bytes.subarray(at, at + pieceBytes));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function withRawServer(style: RawStyle, body: (url: string, posts: string[]) => Promise<void>): Promise<void> {
  const posts: string[] = [];
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      const headEnd = pending.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = pending.toString('latin1', 0, headEnd);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (pending.length < headEnd + 4 + length) return;
      const form = pending.toString('utf8', headEnd + 4, headEnd + 4 + length);
      pending = pending.subarray(headEnd + 4 + length);
      if (head.startsWith('POST')) posts.push(new URLSearchParams(form).get('body') ?? '');
      const reply = head.startsWith('POST')
        ? answer(302, ['Location: /'], '', style)
        : answer(200, [`Set-Cookie: csrftoken=${TOKEN}; Path=/`], page(style), style);
      void writeInPieces(socket, reply, style.pieceBytes).then(() => {
        if (style.closeAfterEach) socket.end();
      });
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts);
  } finally {
    server.close();
  }
}

async function load(url: string): Promise<LoadResult> {
  return runLoad({ target: url, users: 6, rampSeconds: 0.1, timeoutMs: 5_000, arrival: 'uniform', runTag: 'raw', expectBackend: 'raw', checkOwnPost: false });
}

describe('the scenario client against answers cut and framed in every way', () => {
  for (const [name, style] of Object.entries<RawStyle>({
    'heads and bodies arriving a few bytes at a time': { pieceBytes: 7 },
    'chunked pages': { chunked: true },
    'chunked pages cut into pieces': { chunked: true, pieceBytes: 300 },
    'pages larger than one read (200 kB)': { paddingBytes: 200_000 },
    'chunked pages larger than one read': { chunked: true, paddingBytes: 150_000 },
    'a closed connection after every answer': { closeAfterEach: true, pieceBytes: 50 },
  })) {
    it(`completes every user with ${name}`, () =>
      withRawServer(style, async (url, posts) => {
        const result = await load(url);
        assert.deepEqual(result.errors, {});
        assert.deepEqual([result.users.scheduled, result.users.ok, result.users.failed], [6, 6, 0]);
        assert.deepEqual(result.requests.byStatus, { '200': 12, '302': 6 });
        assert.deepEqual(result.backends, { raw: 18 });
        assert.deepEqual(result.workers, { '7': 18 });
        assert.deepEqual([...posts].sort(), [...result.posts.acceptedMarkers].sort());
      }));
  }
});
