import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameRequest, MAX_HEAD_BYTES, RequestFrameError } from '../../bench/request-frame.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
const POST = 'POST / HTTP/1.1\r\nHost: a\r\nCookie: csrftoken=x\r\nContent-Length: 9\r\n\r\nbody=abcd';

describe('frameRequest', () => {
  it('frames a GET without a body and tells a cookie from none', () => {
    assert.deepEqual(frameRequest(bytes(GET), 0), { method: 'GET', path: '/', hasCookie: false, end: GET.length });
    const withCookie = 'GET / HTTP/1.1\r\ncookie: csrftoken=x\r\n\r\n';
    assert.equal(frameRequest(bytes(withCookie), 0)?.hasCookie, true);
  });

  it('counts a Content-Length body, in any letter case', () => {
    assert.deepEqual(frameRequest(bytes(POST), 0), { method: 'POST', path: '/', hasCookie: true, end: POST.length });
    const lower = POST.replace('Content-Length', 'content-length');
    assert.equal(frameRequest(bytes(lower), 0)?.end, lower.length);
  });

  it('waits for the rest of a head or a body', () => {
    assert.equal(frameRequest(bytes(GET.slice(0, -2)), 0), undefined);
    assert.equal(frameRequest(bytes(POST.slice(0, -1)), 0), undefined);
  });

  it('frames requests one after another in one buffer', () => {
    const both = bytes(GET + POST + GET.slice(0, 5));
    const first = frameRequest(both, 0)!;
    const second = frameRequest(both, first.end)!;
    assert.equal(second.method, 'POST');
    assert.equal(second.end, GET.length + POST.length);
    assert.equal(frameRequest(both, second.end), undefined);
  });

  it('does not take a header that only ends in content-length or cookie', () => {
    const request = 'GET / HTTP/1.1\r\nx-content-length: 5\r\nx-cookie: 1\r\n\r\n';
    assert.deepEqual(frameRequest(bytes(request), 0), { method: 'GET', path: '/', hasCookie: false, end: request.length });
  });

  it('refuses what no scenario client sends', () => {
    assert.throws(() => frameRequest(bytes('hello\r\n\r\n'), 0), RequestFrameError);
    assert.throws(() => frameRequest(bytes('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'), 0), RequestFrameError);
    assert.throws(() => frameRequest(bytes(`GET / HTTP/1.1\r\nx: ${'a'.repeat(MAX_HEAD_BYTES)}`), 0), RequestFrameError);
  });
});
