import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedArrivals, parseStages, stagedSchedule, stagesSeconds } from '../../client/stages.js';
import { arrivalSchedule } from '../../client/arrival-schedule.js';
import { LabError } from '../../common/errors.js';

const perSecond = (offsets: Float64Array, seconds: number) => {
  const counts = new Array<number>(seconds).fill(0);
  for (const o of offsets) counts[Math.floor(o / 1e6)]! += 1;
  return counts;
};

test('stages parse with units and refuse what cannot run', () => {
  assert.deepEqual(parseStages('10s:20,30s:100,500ms:0'), [
    { durationSeconds: 10, targetRate: 20 },
    { durationSeconds: 30, targetRate: 100 },
    { durationSeconds: 0.5, targetRate: 0 },
  ]);
  assert.deepEqual(parseStages('1m:5'), [{ durationSeconds: 60, targetRate: 5 }]);
  for (const bad of ['10s', '10s:x', '0s:10', '10s:0,5s:0', '']) {
    assert.throws(
      () => parseStages(bad),
      (e: unknown) => e instanceof LabError && /^option --stages /.test(e.message),
      bad,
    );
  }
});

test('a constant-rate stage is the uniform schedule', () => {
  const staged = stagedSchedule([{ durationSeconds: 10, targetRate: 50 }], 'uniform', 1, 50);
  assert.deepEqual([...staged], [...arrivalSchedule({ users: 500, rampSeconds: 10, arrival: 'uniform' })]);
});

test('a ramp up and down puts the planned number of users in each second', () => {
  const stages = parseStages('10s:20,30s:100,10s:0');
  assert.equal(stagesSeconds(stages), 50);
  assert.equal(expectedArrivals(stages, 10), 100);
  assert.equal(expectedArrivals(stages, 40), 100 + 1800);
  assert.equal(expectedArrivals(stages, Infinity), 100 + 1800 + 500);
  const offsets = stagedSchedule(stages, 'uniform');
  assert.equal(offsets.length, 2400);
  assert.ok(
    offsets.every((o, i) => i === 0 || offsets[i - 1]! <= o),
    'sorted',
  );
  const counts = perSecond(offsets, 50);
  for (let s = 0; s < 50; s++) {
    const planned = expectedArrivals(stages, s + 1) - expectedArrivals(stages, s);
    assert.ok(Math.abs(counts[s]! - planned) <= 1, `second ${s}: ${counts[s]} users for ${planned} planned`);
  }
});

test('Poisson stages follow the same curve on average', () => {
  const stages = parseStages('5s:200,5s:200');
  const offsets = stagedSchedule(stages, 'poisson', 3);
  const expected = expectedArrivals(stages, Infinity);
  assert.ok(Math.abs(offsets.length - expected) < 4 * Math.sqrt(expected), `${offsets.length} arrivals for ${expected} expected`);
  const firstHalf = offsets.filter((o) => o < 5e6).length;
  assert.ok(firstHalf < offsets.length / 2, 'fewer arrive while the rate ramps up than after');
  assert.deepEqual([...stagedSchedule(stages, 'poisson', 3)], [...offsets], 'reproducible from the seed');
});
