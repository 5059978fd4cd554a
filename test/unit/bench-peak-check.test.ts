import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerNames, peakAgreement, roundOrder, sampleAt, splitHeads } from '../../bench/peak-check.js';

const run = (tool: 'benchlab peak' | 'wrk', requestsPerSecond: number, round = 1) => ({ tool, requestsPerSecond, round });

test("the check pairs each round's two runs and allows 10% either way for the median of their ratios", () => {
  const close = peakAgreement([
    run('benchlab peak', 900, 1),
    run('wrk', 1000, 1),
    run('benchlab peak', 950, 2),
    run('wrk', 980, 2),
    run('benchlab peak', 5000, 3),
    run('wrk', 10, 3),
  ]);
  assert.equal(close.peakMedian, 950);
  assert.equal(close.wrkMedian, 980);
  assert.ok(Math.abs(close.pairedRatio - 950 / 980) < 1e-9);
  assert.ok(close.met, 'an outlier in one round does not move a median of three');
  // The server slows down over the rounds: both tools see it, the medians of each tool's runs do not line up.
  const drifting = peakAgreement([
    run('benchlab peak', 1000, 1),
    run('wrk', 1050, 1),
    run('benchlab peak', 700, 2),
    run('wrk', 720, 2),
    run('wrk', 690, 3),
    run('benchlab peak', 660, 3),
  ]);
  assert.ok(drifting.met, `paired ratio ${drifting.pairedRatio}`);
  assert.equal(peakAgreement([run('benchlab peak', 890), run('wrk', 1000)]).met, false);
  assert.equal(peakAgreement([run('benchlab peak', 1100), run('wrk', 1000)]).met, true);
  assert.equal(peakAgreement([run('benchlab peak', 1111), run('wrk', 1000)]).met, false);
  assert.equal(peakAgreement([run('benchlab peak', 0), run('wrk', 0)]).met, false, 'no requests at all is no agreement');
  assert.equal(peakAgreement([run('benchlab peak', 900, 1), run('wrk', 1000, 2)]).met, false, 'runs of different rounds are no pair');
  assert.throws(() => peakAgreement([run('wrk', 1000)]), /needs runs of both tools/);
});

test('rounds alternate which tool goes first', () => {
  assert.deepEqual(roundOrder(1), ['benchlab peak', 'wrk']);
  assert.deepEqual(roundOrder(2), ['wrk', 'benchlab peak']);
  assert.deepEqual(roundOrder(3), roundOrder(1));
});

test('request heads are cut at the blank line, an unfinished one is kept for the next read', () => {
  const first = splitHeads('GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHo');
  assert.deepEqual(first.heads, ['GET / HTTP/1.1\r\nHost: a']);
  assert.equal(first.rest, 'GET / HTTP/1.1\r\nHo');
  assert.deepEqual(splitHeads(`${first.rest}st: a\r\n\r\n`), { heads: ['GET / HTTP/1.1\r\nHost: a'], rest: '' });
  assert.deepEqual(headerNames('GET / HTTP/1.1\r\nHost: a:80\r\nConnection: keep-alive\r\nCookie: x=1'), ['host', 'connection', 'cookie']);
});

test('a window is cut at the samples nearest its ends', () => {
  const samples = [{ atMs: 0 }, { atMs: 100 }, { atMs: 200 }];
  assert.equal(sampleAt(samples, 140)?.atMs, 100);
  assert.equal(sampleAt(samples, 160)?.atMs, 200);
  assert.equal(sampleAt(samples, 9999)?.atMs, 200);
  assert.equal(sampleAt([], 5), undefined);
});
