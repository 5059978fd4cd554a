import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findVariant } from '../../apps/variants.js';
import { fileNameOf, optionsFor, parseSweep, plannedMeasurements } from '../../lab/sweep.js';
import { runOptionsFrom } from '../../lab/run-options.js';
import { LabError } from '../../common/errors.js';

const prefork = findVariant('http-prefork-fastify')!;
const threaded = findVariant('http-threaded-fastify')!;

test('a sweep is one knob and its values, checked against the variants', () => {
  assert.deepEqual(parseSweep('workers=5,1,3', [prefork]), { knob: 'workers', values: [1, 3, 5] });
  const refused = (text: string, variants = [prefork], why: RegExp) =>
    assert.throws(
      () => parseSweep(text, variants),
      (e: unknown) => e instanceof LabError && why.test(e.message),
    );
  refused('workers', [prefork], /must be KNOB=V1,V2/);
  refused('cores=1,2', [prefork], /has no knob "cores"/);
  refused('workers=0,2', [prefork], /between 1 and 256/);
  refused('workers=2,2', [prefork], /names a value twice/);
  refused('threads=1,2', [prefork], /threads applies to threaded variants, and none is selected/);
});

test('each variant the knob applies to is measured at each value; the others once', () => {
  const planned = plannedMeasurements([prefork, threaded], { knob: 'workers', values: [1, 3] });
  assert.deepEqual(
    planned.map((p) => p.name),
    ['http-prefork-fastify workers=1', 'http-prefork-fastify workers=3', 'http-threaded-fastify'],
  );
  const options = runOptionsFrom({ variants: 'http-prefork-fastify', sweep: 'workers=1,3' }, {}, 4);
  assert.equal(optionsFor(options, planned[1]!).workers, 3);
  assert.equal(optionsFor(options, planned[2]!), options);
  assert.equal(fileNameOf('http-prefork-fastify workers=3'), 'http-prefork-fastify.workers-3');
});

test('--sweep workers cannot be combined with --workers', () => {
  assert.throws(() => runOptionsFrom({ variants: 'prefork', sweep: 'workers=1,2', workers: '3' }, {}, 4), /--sweep sets workers itself/);
});
