import { test } from 'node:test';
import assert from 'node:assert/strict';
import { steadyAfter } from '../../lab/warm-up.js';

test("the warm-up ends once two rounds' CPU per user agree within the tolerance", () => {
  assert.equal(steadyAfter([], 0.1), false);
  assert.equal(steadyAfter([3.1], 0.1), false, 'one round says nothing about a trend');
  assert.equal(steadyAfter([3.1, 2.0], 0.1), false, 'still falling');
  assert.equal(steadyAfter([3.1, 2.0, 1.9], 0.1), true, '5% apart');
  assert.equal(steadyAfter([2.0, 1.7], 0.1), false, '18% apart');
  assert.equal(steadyAfter([1.0, 0], 0.1), false, 'a round that served nobody is not steady');
});
