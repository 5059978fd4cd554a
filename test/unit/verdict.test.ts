import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countAtOrBelow, newTimeHistogram, summarise } from '../../common/histogram.js';
import type { VariantResult } from '../../common/result.js';
import { servedWithin, verdictSentence } from '../../report/verdict.js';
import { parseSlo } from '../../common/slo.js';
import { runInfoFixture, variantResultFixture } from '../support/variant-result-fixture.js';
import type { CapacityReport } from '../../report/capacity-result.js';

/** A result whose users took `ms` each (ok), out of `scheduled`. */
function timed(variant: string, ms: number[], scheduled: number, held: boolean): VariantResult {
  const histogram = newTimeHistogram();
  for (const value of ms) histogram.recordValue(value * 1000);
  const base = variantResultFixture({ variant, users: scheduled, errors: scheduled > ms.length ? { timeout: scheduled - ms.length } : {} });
  return {
    ...base,
    users: { ...base.users, ok: ms.length },
    sessionTimeUs: summarise(histogram),
    slo: { text: 'errors<1%,p99<1s', held, breaks: held ? [] : ['p99 2500.0 ms'] },
  };
}

test('counts the values at or below a limit', () => {
  const histogram = newTimeHistogram();
  for (const us of [100, 900_000, 1_000_000, 1_500_000, 3_000_000]) histogram.recordValue(us);
  assert.equal(countAtOrBelow(histogram, 1_000_000), 3);
  assert.equal(countAtOrBelow(histogram, 99), 0);
  assert.equal(countAtOrBelow(histogram, 10_000_000), 5);
});

test('a user served within the SLO is one served in under its slowest time limit', () => {
  const r = timed('a', [10, 20, 900, 1500, 3000], 6, false);
  assert.equal(servedWithin(r, parseSlo('errors<1%,p99<1s')), 3);
  assert.equal(servedWithin(r, parseSlo('errors<1%')), 5, 'without a time limit, every user served');
});

test('the verdict names who served the most users within the SLO, by how much, and whether it exceeds the noise', () => {
  const run = runInfoFixture(['prefork', 'threaded']);
  const fast = Array.from({ length: 4000 }, () => 50);
  const slow = [...Array.from({ length: 3000 }, () => 50), ...Array.from({ length: 1000 }, () => 2500)];
  const sentence = verdictSentence(run, [timed('threaded', slow, 4000, false), timed('prefork', fast, 4000, true)]);
  assert.equal(
    sentence,
    'Verdict: prefork served 4,000 of 4,000 users within the SLO (errors<1%,p99<1s) in under 1 s, 33% more than threaded (3,000); ' +
      'the difference exceeds the noise (the 95% ranges of the two shares do not overlap). prefork held the SLO.',
  );
  const close = verdictSentence(run, [
    timed(
      'a',
      Array.from({ length: 99 }, () => 50),
      100,
      false,
    ),
    timed(
      'b',
      Array.from({ length: 98 }, () => 50),
      100,
      false,
    ),
  ]);
  assert.match(close, /^Verdict: a served 99 of 100 users .* 1% more than b \(98\); the difference is within the noise/);
  const tie = verdictSentence(run, [timed('a', fast, 4000, true), timed('b', fast, 4000, true)]);
  assert.match(tie, /each served 4,000 of 4,000 users within the SLO .* this load does not set them apart/);
});

test("a capacity run names the highest sustained rate and whether it is beyond the search's resolution", () => {
  const step = (rate: number, pass: boolean) => ({
    rate,
    users: rate * 5,
    usersPerSecond: rate,
    p50Ms: 10,
    p99Ms: pass ? 80 : 2000,
    errorsPercent: 0,
    integrityOk: true,
    clientSaturated: false,
    pass,
    broken: pass ? [] : ['p99'],
    file: '',
  });
  const capacity = {
    slo: 'errors<1%,p99<1s',
    startRate: 50,
    maxRate: 3200,
    stepSeconds: 5,
    maxSteps: 8,
    variants: [
      { variant: 'prefork', capacity: 350, searchEnd: 'converged', steps: [step(200, true), step(400, false), step(350, true), step(375, false)] },
      { variant: 'threaded', capacity: 238, searchEnd: 'converged', steps: [step(200, true), step(250, false), step(238, true)] },
    ],
  } as unknown as CapacityReport;
  assert.equal(
    verdictSentence(runInfoFixture(['prefork', 'threaded']), [variantResultFixture()], capacity),
    "Verdict: prefork sustained the highest rate within the SLO (errors<1%,p99<1s): 350 users/s, 47% more than threaded (238 users/s); the difference exceeds the search's resolution (threaded broke the SLO at 250 users/s).",
  );
});
