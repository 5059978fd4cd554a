import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyError } from '../../client/error-class.js';
import { WantedHeader } from '../../client/response-head.js';
import { ResponseParser } from '../../client/response-parser.js';
import type { ResponseHandler } from '../../client/response-parser.js';
import { ValueCounter } from '../../client/value-counter.js';

interface Seen {
  statuses: number[];
  headers: Array<[string, string]>;
  body: string;
  /** Body pieces delivered with `last` set. */
  lastPieces: number;
  completions: boolean[];
  errors: string[];
}

const HEADER_NAMES: Record<WantedHeader, string> = {
  [WantedHeader.SetCookie]: 'set-cookie',
  [WantedHeader.Location]: 'location',
  [WantedHeader.XBackend]: 'x-backend',
  [WantedHeader.XWorker]: 'x-worker',
};

function recorder(): { seen: Seen; parser: ResponseParser } {
  const seen: Seen = { statuses: [], headers: [], body: '', lastPieces: 0, completions: [], errors: [] };
  const handler: ResponseHandler = {
    onResponseHeader: (header, buffer, start, end) => void seen.headers.push([HEADER_NAMES[header], buffer.toString('latin1', start, end)]),
    onResponseHead: (status) => void seen.statuses.push(status),
    onResponseBody: (buffer, start, end, last) => {
      seen.body += buffer.toString('latin1', start, end);
      if (last) seen.lastPieces++;
    },
    onResponseComplete: (keepAlive) => void seen.completions.push(keepAlive),
    onResponseError: (error) => void seen.errors.push(classifyError(error)),
  };
  return { seen, parser: new ResponseParser(handler) };
}

/** Feeds `text` in pieces cut at `cuts`, each copied into a reused buffer with stale bytes after it, as a socket's reads land. */
function feed(parser: ResponseParser, text: string, cuts: number[] = []): void {
  const bytes = Buffer.from(text, 'latin1');
  const shared = Buffer.alloc(bytes.length + 64, '\r\n\r\n');
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    shared.fill('\r\n\r\nX');
    bytes.copy(shared, 0, from, to);
    parser.feed(shared, 0, to - from);
    from = to;
  }
}

const PAGE =
  'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 11\r\nX-Backend: prefork\r\nx-worker:  4242 \r\nSet-Cookie: csrftoken=abc; Path=/\r\n\r\nhello world';

describe('ResponseParser', () => {
  it('reads status, wanted headers and a Content-Length body in one piece', () => {
    const { seen, parser } = recorder();
    feed(parser, PAGE);
    assert.deepEqual(seen.statuses, [200]);
    assert.deepEqual(seen.headers, [
      ['x-backend', 'prefork'],
      ['x-worker', '4242'],
      ['set-cookie', 'csrftoken=abc; Path=/'],
    ]);
    assert.equal(seen.body, 'hello world');
    assert.equal(seen.lastPieces, 1);
    assert.deepEqual(seen.completions, [true]);
    assert.deepEqual(seen.errors, []);
  });

  it('gives the same answer however the reads are cut', () => {
    for (let cut = 1; cut < PAGE.length; cut++) {
      const { seen, parser } = recorder();
      feed(parser, PAGE, [cut]);
      assert.deepEqual(seen.statuses, [200], `cut at ${cut}`);
      assert.equal(seen.body, 'hello world', `cut at ${cut}`);
      assert.equal(seen.headers.length, 3, `cut at ${cut}`);
      assert.deepEqual(seen.completions, [true], `cut at ${cut}`);
    }
  });

  it('reads a chunked body with extensions and trailers, cut anywhere', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (let cut = 0; cut < text.length; cut++) {
      const { seen, parser } = recorder();
      feed(parser, text, cut === 0 ? [] : [cut, Math.min(text.length, cut + 3)]);
      assert.equal(seen.body, 'hello, chunked!', `cut at ${cut}`);
      assert.equal(seen.lastPieces, 0);
      assert.deepEqual(seen.completions, [true], `cut at ${cut}`);
      assert.deepEqual(seen.errors, []);
    }
  });

  it('skips interim 1xx answers, headers included', () => {
    const { seen, parser } = recorder();
    feed(parser, 'HTTP/1.1 103 Early Hints\r\nX-Backend: early\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(seen.statuses, [302]);
    assert.deepEqual(seen.headers, [['location', '/']]);
    assert.deepEqual(seen.completions, [true]);
  });

  it('knows when the server closes: Connection: close, HTTP/1.0, or a body until the close', () => {
    const closing = recorder();
    feed(closing.parser, 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
    assert.deepEqual(closing.seen.completions, [false]);

    const old = recorder();
    feed(old.parser, 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
    assert.deepEqual(old.seen.completions, [false]);

    const oldKept = recorder();
    feed(oldKept.parser, 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok');
    assert.deepEqual(oldKept.seen.completions, [true]);

    const untilClose = recorder();
    feed(untilClose.parser, 'HTTP/1.1 200 OK\r\n\r\nall of ');
    feed(untilClose.parser, 'it');
    assert.deepEqual(untilClose.seen.completions, []);
    untilClose.parser.end();
    assert.equal(untilClose.seen.body, 'all of it');
    assert.deepEqual(untilClose.seen.completions, [false]);
  });

  it('calls a response cut short by the close a reset', () => {
    for (const partial of [
      '',
      'HTTP/1.1 200 OK\r\nContent-Le',
      'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n',
    ]) {
      const { seen, parser } = recorder();
      if (partial !== '') feed(parser, partial);
      parser.end();
      assert.deepEqual(seen.errors, ['reset'], JSON.stringify(partial));
      assert.deepEqual(seen.completions, []);
    }
  });

  it('reports malformed answers and bytes beyond the response as errors of class other', () => {
    for (const bad of [
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 2x0 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc',
    ]) {
      const { seen, parser } = recorder();
      feed(parser, bad);
      assert.deepEqual(seen.errors, ['other'], JSON.stringify(bad));
      assert.deepEqual(seen.completions, [], JSON.stringify(bad));
    }
  });

  it('starts over after reset, for the next request on the same connection', () => {
    const { seen, parser } = recorder();
    feed(parser, PAGE);
    parser.reset();
    feed(parser, 'HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(seen.statuses, [200, 302]);
    assert.deepEqual(seen.completions, [true, true]);
  });
});

describe('ValueCounter', () => {
  it('counts values by their bytes, in the order first seen', () => {
    const counter = new ValueCounter();
    const text = Buffer.from('..4242..4243..4242..');
    counter.count(text, 2, 6);
    counter.count(text, 8, 12);
    counter.count(text, 14, 18);
    assert.deepEqual(
      [...counter.toMap()],
      [
        ['4242', 2],
        ['4243', 1],
      ],
    );
  });

  it('keeps counting past many distinct values', () => {
    const counter = new ValueCounter();
    for (let i = 0; i < 200; i++) {
      const value = Buffer.from(`w${i % 100}`);
      counter.count(value, 0, value.length);
    }
    const counts = counter.toMap();
    assert.equal(counts.size, 100);
    assert.ok([...counts.values()].every((count) => count === 2));
  });
});
