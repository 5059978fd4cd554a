import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupOf, mergeSummaries, summarizeProfile, type CpuProfile } from '../../bench/profile-summary.js';

const frame = (id: number, functionName: string, url = '', lineNumber = 0) => ({ id, callFrame: { functionName, url, lineNumber, columnNumber: 0 } });

// root → idle, root → handler → writeBuffer (native), root → atomicsWaitLoop (a piscina thread waiting)
const profile: CpuProfile = {
  nodes: [
    { ...frame(1, '(root)'), children: [2, 3, 5] },
    frame(2, '(idle)'),
    { ...frame(3, 'handler', 'file:///srv/app/dist/apps/core/guestbook.js', 9), children: [4] },
    frame(4, 'writeBuffer'),
    frame(5, 'atomicsWaitLoop', 'file:///srv/app/node_modules/piscina/dist/worker.js', 125),
  ],
  startTime: 0,
  endTime: 10_000,
  // Samples 1 ms apart, but one gap of 5 ms after the second writeBuffer sample (the thread waited for a CPU).
  samples: [3, 4, 4, 2, 3, 5],
  timeDeltas: [0, 1000, 1000, 5000, 1000, 1000],
};

test('self time goes to the frame on top; wall time keeps the gaps, capped time does not', () => {
  const s = summarizeProfile(profile, 1500);
  const byName = Object.fromEntries(s.functions.map((f) => [f.name, f]));
  assert.equal(byName['writeBuffer']!.wallMs, 6);
  assert.equal(byName['writeBuffer']!.ms, 2.5);
  assert.equal(byName['handler']!.ms, 2);
  assert.equal(byName['handler']!.where, 'apps/core/guestbook.js:10');
  assert.equal(s.busyMs, 4.5);
  // (idle), and the thread blocked in Atomics.wait, are not busy.
  assert.equal(byName['atomicsWaitLoop'], undefined);
  assert.ok(s.idleMs > 0);
});

test('frames are grouped by package, Node module, benchlab folder or native code', () => {
  assert.equal(groupOf('emit', 'node:events'), 'node:events');
  assert.equal(groupOf('onwrite', 'node:internal/streams/writable'), 'node:internal/streams');
  assert.equal(groupOf('take', 'file:///w/node_modules/bufferlist/bufferlist.js'), 'bufferlist');
  assert.equal(groupOf('x', 'file:///w/node_modules/@fastify/formbody/index.js'), '@fastify/formbody');
  assert.equal(groupOf('x', 'file:///w/node_modules/a/node_modules/b/lib/c.js'), 'b');
  assert.equal(groupOf('guestbookPage', 'file:///w/dist/apps/core/page.js'), 'benchlab apps/core');
  assert.equal(groupOf('writev', ''), 'native');
  assert.equal(groupOf('(garbage collector)', ''), '(garbage collector)');
});

test('merged summaries add the same function up across processes', () => {
  const one = summarizeProfile(profile, 1500);
  const both = mergeSummaries([one, one]);
  assert.equal(both.busyMs, 2 * one.busyMs);
  assert.equal(both.functions.find((f) => f.name === 'writeBuffer')!.ms, 5);
});
