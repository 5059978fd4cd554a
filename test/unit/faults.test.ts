import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFaults, parseFaults, scheduleFaults, type Fault } from '../../lab/faults/kinds.js';
import { LabError } from '../../common/errors.js';
import { findVariant, type VariantSpec } from '../../apps/variants.js';

const refusal = (pattern: RegExp) => (error: unknown) => error instanceof LabError && error.code === 'BL_ERR_OPTION' && pattern.test(error.message);
const variant = (name: string): VariantSpec => findVariant(name)!;

test('a fault list is read in time order, with the units of --ramp', () => {
  assert.deepEqual(parseFaults('stop-app@6s, kill-worker@3,reload-nginx@500ms,restart-db@0.1m'), [
    { kind: 'reload-nginx', atSeconds: 0.5 },
    { kind: 'kill-worker', atSeconds: 3 },
    { kind: 'stop-app', atSeconds: 6 },
    { kind: 'restart-db', atSeconds: 6 },
  ]);
  assert.deepEqual(
    parseFaults('kill-worker@1s,kill-worker@2s').map((f) => f.atSeconds),
    [1, 2],
  );
});

test('a malformed fault list is refused naming --fault and the offending part', () => {
  assert.throws(() => parseFaults('kill-worker'), refusal(/^option --fault must look like KIND@SECONDS, e\.g\. kill-worker@3s \(got "kill-worker"\)$/));
  assert.throws(() => parseFaults('@3s'), refusal(/must look like KIND@SECONDS/));
  assert.throws(
    () => parseFaults('explode@3s'),
    refusal(/^option --fault has an unknown fault "explode" \(faults: kill-worker, restart-db, reload-nginx, stop-app\)$/),
  );
  assert.throws(() => parseFaults('stop-app@soon'), refusal(/^option --fault must be a duration like 10, 10s, 500ms or 2m \(got "soon"\)$/));
  assert.throws(() => parseFaults(' , '), refusal(/^option --fault names no fault/));
});

test('faults the run cannot inject are refused before it starts', () => {
  const prefork = { variants: [variant('prefork'), variant('threaded')], privateDatabase: false };
  assert.throws(() => checkFaults(parseFaults('restart-db@2s'), prefork), refusal(/^option --fault restart-db needs the private database/));
  assert.doesNotThrow(() => checkFaults(parseFaults('restart-db@2s'), { ...prefork, privateDatabase: true }));
  assert.doesNotThrow(() => checkFaults(parseFaults('kill-worker@1s,stop-app@2s,reload-nginx@3s'), prefork));
  const single = { variants: [variant('prefork'), variant('http-single-fastify')], privateDatabase: false };
  assert.throws(
    () => checkFaults(parseFaults('kill-worker@1s'), single),
    refusal(/kill-worker needs a prefork worker or a pool thread to kill, and http-single-fastify has none/),
  );
  assert.doesNotThrow(() => checkFaults(parseFaults('stop-app@1s'), single));
});

test('faults fire at their moments, one at a time, and are recorded with when they happened', async () => {
  const order: string[] = [];
  const faults: Fault[] = [
    { kind: 'kill-worker', atSeconds: 0.02 },
    { kind: 'stop-app', atSeconds: 0.03 },
  ];
  const schedule = scheduleFaults(
    faults,
    async (f) => {
      order.push(`start ${f.kind}`);
      await new Promise((r) => setTimeout(r, 50));
      order.push(`end ${f.kind}`);
      return `did ${f.kind}`;
    },
    () => undefined,
  );
  schedule.start();
  await new Promise((r) => setTimeout(r, 200));
  const records = await schedule.settle();
  assert.deepEqual(order, ['start kill-worker', 'end kill-worker', 'start stop-app', 'end stop-app'], 'the second waits for the first');
  assert.deepEqual(
    records.map((r) => [r.kind, r.detail]),
    [
      ['kill-worker', 'did kill-worker'],
      ['stop-app', 'did stop-app'],
    ],
  );
  assert.ok(records[0]!.atSeconds >= 0.02, 'not before its moment');
  assert.ok(records[1]!.atSeconds > records[0]!.atSeconds, 'recorded when it was injected, after the first ended');
});

test('a fault that fails is recorded as failed, and one not yet due when the window ends as not injected', async () => {
  const lines: string[] = [];
  const schedule = scheduleFaults(
    [
      { kind: 'restart-db', atSeconds: 0.01 },
      { kind: 'reload-nginx', atSeconds: 60 },
    ],
    async () => {
      throw new Error('mariadbd did not come back');
    },
    (line) => lines.push(line),
  );
  schedule.start();
  await new Promise((r) => setTimeout(r, 100));
  const records = await schedule.settle();
  assert.equal(records.length, 2);
  assert.equal(records[0]!.detail, 'failed: mariadbd did not come back');
  assert.match(records[1]!.detail, /^not injected: the measured window ended at 0\.\d+ s$/);
  assert.equal(records[1]!.atSeconds, 60);
  assert.match(lines[0]!, /^fault restart-db at 0\.0 s: failed: mariadbd did not come back$/);
});
