import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrivalSchedule } from '../../client/arrival-schedule.js';
import { seededRandom } from '../../client/seeded-random.js';

const isSorted = (offsets: Float64Array): boolean => offsets.every((value, i) => i === 0 || offsets[i - 1] <= value);

describe('arrivalSchedule', () => {
  it('spaces uniform arrivals ramp/users apart, starting at 0', () => {
    assert.deepEqual([...arrivalSchedule({ users: 4, rampSeconds: 2, arrival: 'uniform' })], [0, 500_000, 1_000_000, 1_500_000]);
  });

  it('matches the original experiment: 500 users over 10 s arrive 20 ms apart', () => {
    const offsets = arrivalSchedule({ users: 500, rampSeconds: 10, arrival: 'uniform' });
    assert.equal(offsets.length, 500);
    assert.equal(offsets[1], 20_000);
    assert.equal(offsets[499], 9_980_000);
  });

  it('starts everyone at once when the ramp is 0', () => {
    for (const arrival of ['uniform', 'poisson'] as const) {
      assert.deepEqual([...arrivalSchedule({ users: 3, rampSeconds: 0, arrival })], [0, 0, 0]);
    }
  });

  it('keeps Poisson arrivals sorted, whole, and within the ramp', () => {
    const offsets = arrivalSchedule({ users: 10_000, rampSeconds: 10, arrival: 'poisson', seed: 7 });
    assert.equal(offsets.length, 10_000);
    assert.ok(isSorted(offsets));
    assert.equal(offsets[0], 0);
    assert.ok(offsets[offsets.length - 1] < 10_000_000);
    assert.ok(offsets.every((value) => Number.isInteger(value) && value >= 0));
  });

  it('gives Poisson gaps the exponential shape: mean ≈ ramp/users, coefficient of variation ≈ 1', () => {
    const users = 20_000;
    const offsets = arrivalSchedule({ users, rampSeconds: 20, arrival: 'poisson', seed: 3 });
    const gaps = offsets.slice(1).map((value, i) => value - offsets[i]);
    const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
    const variance = gaps.reduce((sum, gap) => sum + (gap - mean) ** 2, 0) / gaps.length;
    assert.ok(Math.abs(mean - 1_000) < 30, `mean gap ${mean} µs`);
    assert.ok(Math.abs(Math.sqrt(variance) / mean - 1) < 0.05, `cv ${Math.sqrt(variance) / mean}`);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const request = { users: 100, rampSeconds: 1, arrival: 'poisson' as const };
    assert.deepEqual(arrivalSchedule({ ...request, seed: 42 }), arrivalSchedule({ ...request, seed: 42 }));
    assert.notDeepEqual(arrivalSchedule({ ...request, seed: 42 }), arrivalSchedule({ ...request, seed: 43 }));
  });
});

describe('seededRandom', () => {
  it('yields numbers in [0, 1) and repeats a sequence for the same seed', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    for (let i = 0; i < 1_000; i++) {
      const value = a();
      assert.ok(value >= 0 && value < 1);
      assert.equal(value, b());
    }
  });
});
