import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VariantResult } from '../../common/result.js';
import { summariseRepetitions } from '../../common/repetitions.js';
import { compareRuns, intervalsOverlap, METRICS, percentileInterval, relativeChange, wilsonInterval, type MetricKey } from '../../report/compare.js';
import { compareColumns, formatChange, formatVerdict } from '../../report/compare-columns.js';
import { compareMarkdown, compareText } from '../../report/compare-report.js';
import { runInfoFixture, timesOf, variantResultFixture, type FixtureSpec } from '../support/variant-result-fixture.js';

function change(a: VariantResult, b: VariantResult, metric: MetricKey) {
  const found = compareRuns([a], [b]).variants[0]?.changes.find((c) => c.metric === metric);
  assert.ok(found, `no ${metric} change`);
  return found;
}

const fixture = (spec: FixtureSpec) => variantResultFixture({ variant: 'prefork', ...spec });

describe('noise estimates', () => {
  test('a percentile interval brackets the percentile and narrows as users grow (1/sqrt(n))', () => {
    const uniform = (n: number) => timesOf(Array.from({ length: n }, (_, i) => ((i + 0.5) / n) * 10_000));
    const wide = percentileInterval(uniform(400), 50);
    const narrow = percentileInterval(uniform(40_000), 50);
    assert.ok(wide && narrow);
    // p ± 1.96·sqrt(0.25/n): ±4.9% of the range at n=400, ±0.49% at n=40000.
    assert.ok(wide.low < 5000 && wide.high > 5000, JSON.stringify(wide));
    assert.ok(Math.abs(wide.high - wide.low - 980) < 60, `width ${wide.high - wide.low}`);
    assert.ok(Math.abs(narrow.high - narrow.low - 98) < 15, `width ${narrow.high - narrow.low}`);
  });

  test('no histogram, no interval', () => {
    assert.equal(percentileInterval({ ...timesOf([1, 2, 3]), histogram: '' }, 50), null);
    assert.equal(percentileInterval(timesOf([]), 50), null);
  });

  test('Wilson intervals stay inside 0..1 and are not empty at zero failures', () => {
    const none = wilsonInterval(0, 400)!;
    assert.equal(none.low, 0);
    assert.ok(Math.abs(none.high - 3.8416 / 403.8416) < 1e-6);
    const half = wilsonInterval(50, 100)!;
    assert.ok(Math.abs(half.low - 0.4038) < 1e-3 && Math.abs(half.high - 0.5962) < 1e-3, JSON.stringify(half));
    assert.equal(wilsonInterval(0, 0), null);
  });

  test('relative change and overlap', () => {
    assert.equal(relativeChange(100, 120), 0.2);
    assert.equal(relativeChange(0, 0), 0);
    assert.equal(relativeChange(0, 3), Infinity);
    assert.equal(intervalsOverlap({ low: 1, high: 2 }, { low: 2, high: 3 }), true);
    assert.equal(intervalsOverlap({ low: 1, high: 2 }, { low: 2.1, high: 3 }), false);
  });
});

describe('verdicts', () => {
  test('the same distribution is under 10%', () => {
    const c = change(fixture({}), fixture({}), 'p50');
    assert.equal(c.relative, 0);
    assert.equal(c.verdict, 'under 10%');
    assert.equal(c.improved, null);
  });

  test('30% slower over 4000 users is larger than the noise, and worse', () => {
    const c = change(fixture({ users: 4000, medianMs: 40 }), fixture({ users: 4000, medianMs: 52 }), 'p50');
    assert.equal(c.basis, 'sampling');
    assert.equal(c.verdict, 'larger than noise');
    assert.equal(c.improved, false);
    assert.ok(c.relative! > 0.25 && c.relative! < 0.35);
  });

  test('the same 30% in the tail of 20 users is within the noise', () => {
    const c = change(fixture({ users: 20, medianMs: 40, tail: 1 }), fixture({ users: 20, medianMs: 52, tail: 1 }), 'p90');
    assert.equal(c.verdict, 'within noise');
  });

  test('users/s, CPU and memory have no noise estimate from one run', () => {
    const c = change(fixture({ durationSeconds: 4 }), fixture({ durationSeconds: 5 }), 'usersPerSecond');
    assert.equal(c.basis, 'none');
    assert.equal(c.verdict, 'over 10%, noise unknown');
    assert.equal(c.improved, false, 'fewer users per second is worse');
    assert.equal(formatVerdict(c), 'over 10%, noise unknown: worse');
    assert.equal(change(fixture({ cpuSeconds: 2 }), fixture({ cpuSeconds: 1.5 }), 'cpuSeconds').improved, true);
    assert.equal(change(fixture({ rssPeakMb: 300 }), fixture({ rssPeakMb: 310 }), 'rssPeakMb').verdict, 'under 10%');
  });

  test('error share: a few failures out of 400 are noise, 20 are not', () => {
    assert.equal(change(fixture({}), fixture({ errors: { timeout: 5 } }), 'errorShare').verdict, 'within noise');
    const c = change(fixture({}), fixture({ errors: { timeout: 20 } }), 'errorShare');
    assert.equal(c.verdict, 'larger than noise');
    assert.equal(c.relative, Infinity);
    assert.equal(formatChange(c), '+5 pts');
  });

  test('repetitions, when both runs have them, give the medians and the range', () => {
    const withReps = (specs: FixtureSpec[]) => {
      const r = fixture(specs[0]!);
      r.repetitions = summariseRepetitions(specs.map(fixture));
      return r;
    };
    const a = withReps([{ medianMs: 30 }, { medianMs: 40 }, { medianMs: 50 }]);
    const overlapping = change(a, withReps([{ medianMs: 45 }, { medianMs: 52 }, { medianMs: 60 }]), 'p50');
    assert.equal(overlapping.basis, 'repetitions');
    assert.equal(overlapping.a, a.repetitions!.metrics.p50Ms.median);
    assert.deepEqual(overlapping.intervalA, { low: a.repetitions!.metrics.p50Ms.min, high: a.repetitions!.metrics.p50Ms.max });
    assert.equal(overlapping.verdict, 'within noise', 'a 30% change inside the spread of the repetitions');
    const tight = withReps([{ medianMs: 39 }, { medianMs: 40 }, { medianMs: 41 }]);
    const apart = withReps([
      { medianMs: 51, errors: { timeout: 20 } },
      { medianMs: 52, errors: { timeout: 20 } },
    ]);
    assert.equal(change(tight, apart, 'p50').verdict, 'larger than noise');
    assert.equal(change(tight, apart, 'cpuSeconds').verdict, 'under 10%', 'the same CPU in every repetition');
    const errors = change(tight, apart, 'errorShare');
    assert.equal(errors.basis, 'repetitions');
    assert.equal(errors.b, 0.05, 'errorsPercent becomes a share');
    assert.equal(change(tight, fixture({ medianMs: 52 }), 'p50').basis, 'sampling', 'one side without repetitions: sampling');
  });

  test('a variant where no user finished is not comparable on times', () => {
    const none = fixture({ users: 10, errors: { refused: 10 } });
    assert.equal(change(none, fixture({ users: 10 }), 'p99').verdict, 'not comparable');
  });
});

describe('runs', () => {
  const a = [fixture({ variant: 'prefork' }), fixture({ variant: 'threaded' }), fixture({ variant: 'old' })];
  const b = [fixture({ variant: 'new' }), fixture({ variant: 'threaded', medianMs: 80 }), fixture({ variant: 'prefork' })];
  const comparison = compareRuns(a, b);

  test('variants in both, in A order; the others are named', () => {
    assert.deepEqual(
      comparison.variants.map((v) => v.variant),
      ['prefork', 'threaded'],
    );
    assert.deepEqual(comparison.onlyInA, ['old']);
    assert.deepEqual(comparison.onlyInB, ['new']);
    assert.deepEqual(
      comparison.variants[0]!.changes.map((c) => c.metric),
      METRICS.map((m) => m.key),
    );
  });

  test('text and markdown carry one row per variant and metric, and the rule', () => {
    const runA = { dir: '/r/a', run: runInfoFixture(['prefork', 'threaded', 'old']), results: a };
    const runB = { dir: '/r/b', run: runInfoFixture(['new', 'threaded', 'prefork']), results: b };
    const text = compareText(runA, runB, comparison, { color: false });
    assert.match(text, /^A: prefork-threaded-old, started 2025-03-01 14:05 UTC \(\/r\/a\)$/m);
    assert.match(text, /Only in A: old\./);
    assert.match(text, /^threaded\s+p50 ms\s+40\.0\s+79\.9\s+\+100%\s+37\.9–42\.6\s+\S+\s+larger than noise: worse$/m);
    assert.ok(!text.includes('\x1b['), 'no colour when asked for none');
    const md = compareMarkdown(runA, runB, comparison);
    const tableRows = md.split('\n').filter((l) => /^\| (prefork|threaded) \|/.test(l));
    assert.equal(tableRows.length, 2 * METRICS.length);
    assert.match(md, /95% ranges/);
    assert.equal(
      compareColumns.length,
      md
        .split('\n')
        .find((l) => l.startsWith('| variant'))!
        .split(' | ').length,
    );
  });
});
