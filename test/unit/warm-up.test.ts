import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keptUp, steadyAfter, warmupRateFor } from '../../lab/warm-up.js';

test("the warm-up ends once three rounds' CPU per user lie within the tolerance of their lowest", () => {
  assert.equal(steadyAfter([], 0.1), false);
  assert.equal(steadyAfter([3.1], 0.1), false, 'one round says nothing about a trend');
  assert.equal(steadyAfter([2.0, 1.95], 0.1), false, 'two rounds are not enough');
  assert.equal(steadyAfter([3.1, 2.0, 1.9], 0.1), false, 'still falling: 3.1 is far above 1.9');
  assert.equal(steadyAfter([3.1, 2.0, 1.9, 1.85], 0.1), true, '2.0, 1.9 and 1.85 lie within 8%');
  // The goal run's threaded warm-up stopped here on two rounds, 46% above the measured 2.33.
  assert.equal(steadyAfter([3.55, 3.4], 0.1), false);
  assert.equal(steadyAfter([3.55, 3.4, 2.6], 0.1), false, 'a slow fall is still a fall');
  assert.equal(steadyAfter([2.0, 1.75, 1.7], 0.1), false, '18% apart');
  assert.equal(steadyAfter([1.0, 1.0, 0], 0.1), false, 'a round that served nobody is not steady');
});

test("the warm-up runs at the measured load's own rate, at least 200 and at most 1000 users/s", () => {
  assert.equal(warmupRateFor({ users: 4000, rampSeconds: 10 }), 400, 'the default run: 400 users/s');
  assert.equal(warmupRateFor({ users: 500, rampSeconds: 10 }), 200, 'a slower load still warms at 200');
  assert.equal(warmupRateFor({ users: 60_000, rampSeconds: 10 }), 1000);
  assert.equal(warmupRateFor({ users: 100, rampSeconds: 0 }), 1000, 'all at once');
  assert.equal(warmupRateFor({ users: 0, rampSeconds: 10, stages: '10s:20,30s:650,10s:0' }), 650, 'the highest stage');
  assert.equal(warmupRateFor({ users: 4000, rampSeconds: 10, closed: { connections: 50, durationSeconds: 10 } }), 200, 'a closed pool');
  assert.equal(warmupRateFor({ users: 4000, rampSeconds: 10 }, 500), 500, 'never below the base');
});

test('a continuous second counts as kept up with at most a tenth of a second of arrivals in flight at its end', () => {
  assert.equal(keptUp([{ inFlight: 2 }, { inFlight: 3 }, { inFlight: 1 }], 400), true);
  assert.equal(keptUp([{ inFlight: 2 }, { inFlight: 41 }, { inFlight: 1 }], 400), false, '41 in flight at 400 users/s is a queue');
  assert.equal(keptUp([{ inFlight: 40 }], 400), true);
  assert.equal(keptUp([{ inFlight: 10 }], 20), true, 'at a low rate a few users in flight are no queue');
  assert.equal(keptUp([{ inFlight: 11 }], 20), false);
  // The saturated FastCGI seconds that read steady at 2.6–3.1 ms per user had hundreds in flight.
  assert.equal(keptUp([{ inFlight: 905 }, { inFlight: 1178 }, { inFlight: 1446 }], 400), false);
  assert.equal(keptUp([{}], 400), false, 'a second without the figure says nothing');
});
