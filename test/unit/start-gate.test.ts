import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openStartGate, passStartGate } from '../../lab/stack/start-gate.js';
import { tempOutputs } from '../support/temp-dirs.js';

const tempOut = tempOutputs('benchlab-gate');
const never = new AbortController().signal;

test('clients wait at the gate until every one is ready, then all get one start time', async () => {
  const gate = tempOut('m.start');
  const dir = path.dirname(gate);
  const ready = [0, 1, 2].map((k) => path.join(dir, `m.c${k}.ready`));
  let opened = false;
  const opening = openStartGate(
    gate,
    ready.map((readyFile) => ({ readyFile, hasExited: () => false })),
    never,
    10_000,
  ).then((t) => {
    opened = true;
    return t;
  });
  const first = [passStartGate(gate, ready[0]!, never), passStartGate(gate, ready[1]!, never)];
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(opened, false, 'the gate opened with a client still booting');
  assert.equal(fs.existsSync(gate), false);
  const last = passStartGate(gate, ready[2]!, never);
  const startMs = await opening;
  assert.deepEqual(await Promise.all([...first, last]), [startMs, startMs, startMs]);
  assert.ok(startMs > Date.now() - 5_000 && startMs <= Date.now() + 1_000, `start time ${startMs} is not about now`);
});

test('a client that exited does not hold the gate; one that never gets ready times out with a message', async () => {
  const gate = tempOut('x.start');
  const gone = { readyFile: `${gate}.gone.ready`, hasExited: () => true };
  assert.equal(typeof (await openStartGate(gate, [gone], never, 1_000)), 'number');
  const stuck = { readyFile: `${gate}.stuck.ready`, hasExited: () => false };
  await assert.rejects(openStartGate(`${gate}2`, [stuck], never, 100), /not ready within 0.1 s/);
});

test('an abort ends the wait on both sides', async () => {
  const gate = tempOut('a.start');
  const controller = new AbortController();
  const waiting = passStartGate(gate, `${gate}.ready`, controller.signal);
  const opening = openStartGate(gate, [{ readyFile: `${gate}.never`, hasExited: () => false }], controller.signal, 10_000);
  controller.abort(new Error('stopped'));
  await assert.rejects(waiting, /stopped/);
  await assert.rejects(opening, /stopped/);
});
