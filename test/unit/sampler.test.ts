import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcStat, parseStatm, processTree, readProcStat, selfAndChildren, treeOf } from '../../lab/stack/sampler.js';

// Fields 3–24 of a real stat line; utime=7, stime=3, threads=11, starttime=45133.
const statTail = 'S 9922 9922 6344 0 -1 4194304 100 0 0 0 7 3 5 6 20 0 11 0 45133 3133440 416 18446744073709551615 0 0';

test('parseProcStat splits after the last parenthesis of comm', () => {
  const stat = parseProcStat(`4242 (node (x) y) ${statTail}\n`);
  assert.equal(stat.pid, 4242);
  assert.equal(stat.comm, 'node (x) y');
  assert.equal(stat.state, 'S');
  assert.equal(stat.ppid, 9922);
  assert.equal(stat.pgrp, 9922);
  assert.equal(stat.utimeTicks, 7);
  assert.equal(stat.stimeTicks, 3);
  assert.equal(stat.threads, 11);
  assert.equal(stat.startTimeTicks, 45133);
});

test('parseProcStat copes with a comm of only spaces and closing parentheses', () => {
  const stat = parseProcStat(`7 ( ) ) ${statTail}`);
  assert.equal(stat.comm, ' ) ');
  assert.equal(stat.ppid, 9922);
});

test('parseProcStat rejects text that is not a stat line', () => {
  assert.throws(() => parseProcStat('no parentheses here'));
});

test('parseStatm reads sizes in pages', () => {
  assert.deepEqual(parseStatm('2217 416 352 5 0 112 0\n'), { sizePages: 2217, residentPages: 416, sharedPages: 352 });
  assert.throws(() => parseStatm(''));
});

test('treeOf finds every descendant and skips roots that are gone', () => {
  const stats = new Map([
    [1, { ppid: 0 }],
    [10, { ppid: 1 }],
    [11, { ppid: 10 }],
    [12, { ppid: 10 }],
    [13, { ppid: 12 }],
    [20, { ppid: 1 }],
  ]);
  assert.deepEqual(
    treeOf([10, 99], stats).sort((a, b) => a - b),
    [10, 11, 12, 13],
  );
  assert.deepEqual(treeOf([], stats), []);
});

test('readProcStat reads this process and nothing for a pid that does not exist', () => {
  const self = readProcStat(process.pid);
  assert.ok(self !== undefined && self.rssBytes > 0 && self.cpuTicks >= 0);
  assert.equal(readProcStat(2 ** 30), undefined);
});

test('selfAndChildren and processTree see this process', () => {
  assert.equal(selfAndChildren(process.pid)[0], process.pid);
  assert.ok(processTree([process.ppid]).includes(process.pid));
  assert.deepEqual(selfAndChildren(2 ** 30), []);
});
