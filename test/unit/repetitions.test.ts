import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beyondNoise, median, shuffled, summariseRepetitions } from '../../common/repetitions.js';
import type { VariantResult } from '../../common/result.js';

function run(p99Ms: number, ok: number, failed = 0): VariantResult {
  const time = { count: ok, min: 1000, mean: 2000, p50: 2000, p90: 3000, p99: p99Ms * 1000, p999: p99Ms * 1000, max: p99Ms * 2000, histogram: '' };
  return {
    variant: 'v',
    durationSeconds: 10,
    users: { scheduled: ok + failed, ok, failed, notStarted: 0 },
    sessionTimeUs: time,
    server: { cpuSeconds: 1, rssPeakBytes: 100e6, rssMeanBytes: 90e6, samples: 1, processes: 1 },
  } as unknown as VariantResult;
}

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('repetitions summarise to median [min–max] and keep the median-p99 run', () => {
  const summary = summariseRepetitions([run(300, 100), run(100, 100, 10), run(200, 90)]);
  assert.equal(summary.count, 3);
  assert.deepEqual(summary.metrics.p99Ms, { median: 200, min: 100, max: 300, values: [300, 100, 200] });
  assert.equal(summary.representative, 2, 'the run whose p99 is the median');
  assert.equal(summary.metrics.usersPerSecond.median, 10);
  assert.equal(summary.metrics.errorsPercent.max, (100 * 10) / 110);
});

test('only ranges that do not overlap count as beyond the noise', () => {
  const spread = (min: number, max: number) => ({ median: (min + max) / 2, min, max, values: [min, max] });
  assert.equal(beyondNoise(spread(1, 5), spread(4, 9)), false);
  assert.equal(beyondNoise(spread(1, 3), spread(4, 9)), true);
  assert.equal(beyondNoise(spread(10, 12), spread(4, 9)), true);
});

test('the shuffle is a permutation, reproducible from its seed', () => {
  const items = ['a', 'b', 'c', 'd', 'e', 'f'];
  const once = shuffled(items, 42);
  assert.deepEqual([...once].sort(), items);
  assert.deepEqual(shuffled(items, 42), once);
  const orders = new Set(Array.from({ length: 20 }, (_, seed) => shuffled(items, seed + 1).join('')));
  assert.ok(orders.size > 5, 'different seeds give different orders');
});

test("every round's validity and integrity reach the result that stands for them", async () => {
  const { representativeOf } = await import('../../common/repetitions.js');
  const { integrityOf } = await import('../../common/integrity.js');
  const { variantResultFixture } = await import('../support/variant-result-fixture.js');
  const round = (p99: number, valid: boolean, missing: number) => ({
    ...variantResultFixture({ medianMs: p99 / 4 }),
    validity: valid ? { valid: true, reasons: [] } : { valid: false, reasons: ['client CPU at 95% of its 1 CPU time (over 80%)'] },
    integrity: integrityOf({ accepted: 10, indeterminate: 0 }, 0, { rows: 10 - missing, missing, duplicated: 0, unaccepted: 0, foreign: 0, warmup: 0 }),
  });
  // Round 2 has the median p99 and is clean; rounds 1 and 3 are not.
  const result = representativeOf([round(100, false, 0), round(200, true, 0), round(300, true, 2)]);
  assert.equal(result.repetitions?.representative, 1);
  assert.deepEqual(result.validity, { valid: false, reasons: ['round 1: client CPU at 95% of its 1 CPU time (over 80%)'] });
  assert.equal(result.integrity.ok, false);
  assert.deepEqual(result.integrity.problems, ['round 3: 2 missing']);
  assert.deepEqual(result.repetitions?.rounds, [
    { valid: false, integrityOk: true },
    { valid: true, integrityOk: true },
    { valid: true, integrityOk: false },
  ]);
  const { thresholdBreaches, parseThresholds } = await import('../../lab/thresholds.js');
  assert.equal(thresholdBreaches([result], parseThresholds('integrity')).length, 1, '--fail-on integrity sees the lossy round');
});
