import assert from 'node:assert/strict';
import { test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCpuListText, parseThreadStat, roleOf, windowsOf } from '../../bench/thread-watch.js';

// A real line's shape (proc(5)): the command name may hold spaces and a ')'; field 39 is the CPU last run on.
const fields = (processor: number) =>
  ['S', '1200', '1200', '1200', '0', '-1', '4194560', '10', '0', '0', '0', '7', '5', '0', '0', '20', '0', '3', '0', '900', '1', '2', '18446744073709551615']
    .concat(['1', '1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '17', String(processor), '0', '0', '0', '0', '0'])
    .join(' ');

test('a thread stat line gives its state, parent, CPU time and the CPU it last ran on', () => {
  const stat = parseThreadStat(`4321 (node (worker) 1) ${fields(1)}`);
  assert.deepEqual(stat, { comm: 'node (worker) 1', state: 'S', ppid: 1200, ticks: 12, processor: 1 });
  assert.equal(parseThreadStat(`4321 (nginx) ${fields(0)}`)?.processor, 0);
  assert.equal(parseThreadStat('not a stat line'), undefined);
  assert.equal(parseThreadStat('12 (short) S 1 2'), undefined);
});

test('CPU lists expand ranges', () => {
  assert.deepEqual(parseCpuListText('0-2,5\n'), [0, 1, 2, 5]);
  assert.deepEqual(parseCpuListText('1'), [1]);
});

test('the server side is nginx, the database servers and benchlab serve; the client and the lab are not', () => {
  assert.equal(roleOf('nginx', ['nginx: worker process']), 'nginx');
  assert.equal(roleOf('mariadbd', ['/usr/sbin/mariadbd', '--datadir=/tmp/x']), 'database');
  assert.equal(roleOf('mysqld', ['/usr/sbin/mysqld']), 'database');
  assert.equal(roleOf('node', ['/usr/bin/node', '/repo/dist/cli/benchlab.js', 'serve', '--variant', 'http-prefork-fastify']), 'app');
  assert.equal(roleOf('node', ['/usr/bin/node', '/repo/dist/cli/benchlab.js', 'load', '--target', 'http://127.0.0.1:8080']), undefined);
  assert.equal(roleOf('node', ['/usr/bin/node', '/repo/dist/cli/benchlab.js', 'run']), undefined);
});

test('the measured windows come from each variant result: its start, for its duration', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thread-watch-'));
  try {
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ variants: ['prefork', 'threaded'] }));
    fs.writeFileSync(path.join(dir, 'prefork.json'), JSON.stringify({ startedAt: '2026-12-04T04:19:48.488Z', durationSeconds: 10.5 }));
    // A variant that wrote no result (it failed to start) has no window.
    assert.deepEqual(windowsOf(dir), [{ name: 'prefork', from: Date.UTC(2026, 11, 4, 4, 19, 48, 488), to: Date.UTC(2026, 11, 4, 4, 19, 58, 988) }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
