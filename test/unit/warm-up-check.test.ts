import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VariantResult, WarmUpRecord } from '../../common/result.js';
import { roundsByRate, setupAndNeighbourColumns } from '../../report/detail-columns.js';
import { resultCaveats } from '../../report/caveats.js';
import { firstQueuedSecond, measuredStart, measuredStartCaveats, warmUpCaveats, warmUpGap, withWarmUpChecks } from '../../report/warm-up-check.js';
import { representativeOf } from '../../common/repetitions.js';
import { repetitionsSection } from '../../report/repetitions-section.js';
import { variantResultFixture } from '../support/variant-result-fixture.js';

/** 400 users over 4 s (100 users/s), 0.6 s of app CPU: 1.5 ms per user measured. */
function measured(warmup: WarmUpRecord | undefined, options: Partial<VariantResult['options']> = {}): VariantResult {
  const r = variantResultFixture({ users: 400, durationSeconds: 4, cpuSeconds: 0.6 });
  return { ...r, options: { ...r.options, ...options }, ...(warmup ? { warmup } : {}) };
}

const rounds = (...costs: Array<number | null>): WarmUpRecord['rounds'] => costs.map((cpuMsPerUser) => ({ users: 100, failed: 0, cpuMsPerUser }));

describe('warmUpGap', () => {
  it("sets the measured cost against the mean of the warm-up's last three rounds at the same rate", () => {
    const gap = warmUpGap(measured({ rate: 100, rounds: rounds(4, 3, 1.2, 1.25, 1.15), steady: true, seconds: 5 }));
    assert.ok(gap);
    assert.equal(gap.warmMs.toFixed(3), '1.200');
    assert.equal(gap.measuredMs.toFixed(3), '1.500');
    assert.equal(gap.change.toFixed(3), '0.250');
  });

  it('has no answer where the two cannot be compared', () => {
    assert.equal(warmUpGap(measured(undefined)), undefined, 'no warm-up');
    assert.equal(warmUpGap(measured({ rate: 100, rounds: rounds(1.2, 1.2), steady: false, seconds: 2 })), undefined, 'fewer than three rounds');
    assert.equal(warmUpGap(measured({ rate: 100, rounds: rounds(1.2, null, 1.2), steady: false, seconds: 3 })), undefined, 'a round without CPU figures');
    assert.equal(warmUpGap(measured({ rate: 200, rounds: rounds(1.2, 1.2, 1.2), steady: true, seconds: 3 })), undefined, 'another rate');
    assert.equal(
      warmUpGap(measured({ rate: 100, rounds: rounds(1.2, 1.2, 1.2), steady: true, seconds: 3 }, { mode: 'closed', connections: 50 })),
      undefined,
      'a closed pool',
    );
  });
});

describe('warmUpCaveats', () => {
  it('names a measurement more than 10% from where the warm-up settled, and says --repeat', () => {
    const [caveat, ...rest] = warmUpCaveats([measured({ rate: 100, rounds: rounds(3, 1.2, 1.2, 1.2), steady: true, seconds: 4 })]);
    assert.equal(rest.length, 0);
    assert.match(caveat!, /^prefork: the measurement cost 25% more app CPU per user than the warm-up settled at \(1\.20 → 1\.50 ms/);
    assert.match(caveat!, /--repeat/);
    assert.match(caveat!, /the measurement did not queue, so the server's cost moved on its own/, 'the fixture served every second its arrivals');
  });

  it('says why, from the result: a warm-up that had not settled, or the second in which the measurement queued', () => {
    const unsettled = warmUpCaveats([measured({ rate: 100, rounds: rounds(3, 1.2, 1.2, 1.2), steady: false, seconds: 4 })]);
    assert.match(unsettled[0]!, /the warm-up had not settled, so its last readings are no steady cost/);
    const queued = measured({ rate: 100, rounds: rounds(3, 1.2, 1.2, 1.2), steady: true, seconds: 4 });
    queued.timeline = [
      { second: 0, arrivals: 100, completions: 99, errors: 0 },
      { second: 1, arrivals: 100, completions: 60, errors: 0 },
      { second: 2, arrivals: 100, completions: 141, errors: 0 },
    ];
    assert.deepEqual(firstQueuedSecond(queued), { second: 1, arrivals: 100, completions: 60 }, '99 of 100 is keeping up, 60 is not');
    assert.match(warmUpCaveats([queued])[0]!, /the measurement queued \(its second 2 served 60 of 100 arriving users\)/);
  });

  it("sets the busiest worker's share of the measurement beside the warm-up's last seconds'", () => {
    const slices = (...shares: number[]) => shares.map((busiestShare) => ({ users: 100, failed: 0, cpuMsPerUser: 1.2, busiestShare }));
    const spread = measured({ rate: 100, rounds: rounds(3, 1.2, 1.2, 1.2), slices: slices(0.9, 0.95, 0.94), steady: true, seconds: 7 });
    spread.workers = { '1001': 660, '1002': 330, '1003': 10 };
    assert.deepEqual(warmUpGap(spread)?.spread, { warm: (0.9 + 0.95 + 0.94) / 3, measured: 0.66 });
    assert.match(warmUpCaveats([spread])[0]!, /its busiest worker served 66% of the responses against 93% in the warm-up's last seconds/);
    assert.match(warmUpCaveats([spread])[0]!, /one busy worker costs less per user than several/, 'spread wider and dearer: the usual direction');
    const cheaper = measured({
      rate: 100,
      rounds: rounds(3, 2, 2, 2),
      slices: slices(0.9, 0.95, 0.94).map((x) => ({ ...x, cpuMsPerUser: 2 })),
      steady: true,
      seconds: 7,
    });
    cheaper.workers = { '1001': 660, '1002': 330, '1003': 10 };
    assert.match(warmUpCaveats([cheaper])[0]!, /25% less .* its busiest worker served 66% of the responses against 93% in the warm-up's last seconds;/);
    assert.doesNotMatch(warmUpCaveats([cheaper])[0]!, /one busy worker costs less/, 'spread wider yet cheaper: no explanation claimed');
    const alike = measured({ rate: 100, rounds: rounds(3, 1.2, 1.2, 1.2), slices: slices(0.6, 0.66, 0.63), steady: true, seconds: 7 });
    alike.workers = { '1001': 660, '1002': 330, '1003': 10 };
    assert.match(
      warmUpCaveats([alike])[0]!,
      /the measurement did not queue and spread its users over the workers as the warm-up did \(busiest 66% against 63%\), so the server's cost moved on its own/,
    );
  });

  it("sets the measurement beside the warm-up's continuous seconds when it has them, not its drained rounds", () => {
    const warmup: WarmUpRecord = { rate: 100, rounds: rounds(3, 2, 2, 2), slices: rounds(1.6, 1.45, 1.5, 1.55), steady: true, seconds: 8 };
    const gap = warmUpGap(measured(warmup));
    assert.ok(gap !== undefined);
    assert.equal(gap.warmMs.toFixed(3), '1.500', 'the mean of the last three seconds');
    assert.deepEqual(warmUpCaveats([measured(warmup)]), [], '1.50 against 1.50');
    const column = setupAndNeighbourColumns.find((c) => c.header === 'warm-up')!;
    assert.equal(column.cell(measured(warmup)), '4 × 100 users/s: 3.00 → 2.00, then 4 s: 1.55 CPU ms/user, measured 1.50 (+0%)');
  });

  it('names the continuous attempt the seconds belong to when earlier ones queued', () => {
    const warmup: WarmUpRecord = { rate: 100, rounds: rounds(3, 2), slices: rounds(1.5, 1.5, 1.5), queuedAttempts: [240, 180], steady: true, seconds: 12 };
    const column = setupAndNeighbourColumns.find((c) => c.header === 'warm-up')!;
    assert.equal(column.cell(measured(warmup)), '2 × 100 users/s: 3.00 → 2.00, then 3 s (attempt 3, 2 queued): 1.50 CPU ms/user, measured 1.50 (+0%)');
  });

  it('is silent within 10%, and the summary carries the caveat otherwise', () => {
    const close = measured({ rate: 100, rounds: rounds(1.4, 1.45, 1.4), steady: true, seconds: 3 });
    assert.deepEqual(warmUpCaveats([close]), []);
    const far = measured({ rate: 100, rounds: rounds(2, 2, 2), steady: true, seconds: 3 });
    assert.ok(resultCaveats([far]).some((c) => c.includes('25% less app CPU per user')));
  });

  it("shows the measured cost beside the warm-up's in the setup table", () => {
    const column = setupAndNeighbourColumns.find((c) => c.header === 'warm-up')!;
    const cell = column.cell(measured({ rate: 100, rounds: rounds(3, 1.2, 1.2, 1.2), steady: true, seconds: 4 }));
    assert.equal(cell, '4 × 100 users/s: 3.00 → 1.20 CPU ms/user, measured 1.50 (+25%)');
  });

  it("keeps each --repeat round's own check with the rounds' verdicts, and the repetitions table names a round off its warm-up", () => {
    const settled = (cost: number): WarmUpRecord => ({ rate: 100, rounds: rounds(3, cost, cost, cost), steady: true, seconds: 4 });
    // 1.5 ms measured in every round: 0% from a warm-up at 1.5, +25% from one at 1.2; a round without a warm-up has no check.
    const runs = [measured(settled(1.5)), measured(settled(1.2)), measured(undefined)].map((r) => ({ ...r, validity: { valid: true, reasons: [] } }));
    const result = withWarmUpChecks(representativeOf(runs), runs);
    assert.deepEqual(
      result.repetitions?.rounds?.map((round) => round.warmUpChange),
      [0, 0.25, undefined],
    );
    const table = repetitionsSection([result]).join('\n');
    assert.match(table, /round 2: app CPU per user \+25% from its warm-up/);
    assert.doesNotMatch(table, /round 1:|round 3:/, 'rounds within 10% or without a warm-up are not flagged');
  });
});

describe('roundsByRate', () => {
  it("groups the warm-up's rounds by their rate, in order; older records carry the warm-up's one rate", () => {
    const at = (rate: number | undefined) => ({ users: 1, failed: 0, cpuMsPerUser: 1, ...(rate === undefined ? {} : { rate }) });
    assert.equal(roundsByRate({ rate: 473, rounds: [at(200), at(200), at(473), at(473), at(473)], steady: true, seconds: 9 }), '2 × 200 + 3 × 473');
    assert.equal(roundsByRate({ rate: 400, rounds: [at(undefined), at(undefined)], steady: true, seconds: 2 }), '2 × 400');
  });
});

/** 100 users/s for `cpuMs.length` seconds, each second's app CPU given (ms); every user completes in its second. */
function secondBySecond(cpuMs: ReadonlyArray<number | undefined>, completions = (_second: number) => 100): VariantResult {
  const r = variantResultFixture({ users: 100 * cpuMs.length, durationSeconds: cpuMs.length });
  return {
    ...r,
    timeline: cpuMs.map((serverCpuMs, second) => ({
      second,
      arrivals: 100,
      completions: completions(second),
      errors: 0,
      ...(serverCpuMs === undefined ? {} : { serverCpuMs }),
    })),
  };
}

describe('measuredStart', () => {
  it("sets the first three seconds' CPU per completed user against the last half's", () => {
    // 10 s: first three at 150, 130, 110 ms (1.3 ms/user), last five at 100 (1.0 ms/user).
    const start = measuredStart(secondBySecond([150, 130, 110, 105, 100, 100, 100, 100, 100, 100]));
    assert.ok(start);
    assert.equal(start.startMs.toFixed(3), '1.300');
    assert.equal(start.steadyMs.toFixed(3), '1.000');
    assert.equal(start.change.toFixed(3), '0.300');
  });

  it('divides by the users completed, not those that arrived, and takes the last half of an odd count from its middle on', () => {
    // 7 s: seconds 4–6 are the last half (ceil(7 / 2) = 4); second 5 completed 50 users for 100 ms.
    const start = measuredStart(secondBySecond([100, 100, 100, 100, 100, 100, 100], (second) => (second === 5 ? 50 : 100)));
    assert.equal(start?.steadyMs.toFixed(3), ((300 / 250) as number).toFixed(3));
  });

  it('has no answer where the run cannot show it', () => {
    assert.equal(measuredStart(secondBySecond([100, 100, 100, 100, 100])), undefined, 'fewer than six seconds');
    assert.equal(measuredStart(secondBySecond([100, 100, 100, undefined, 100, 100])), undefined, 'a second without its CPU');
    const closed = secondBySecond([100, 100, 100, 100, 100, 100]);
    assert.equal(measuredStart({ ...closed, options: { ...closed.options, mode: 'closed', connections: 50 } }), undefined, 'a closed pool');
    assert.equal(measuredStart(secondBySecond([100, 100, 100, 100, 100, 100], () => 0)), undefined, 'no user completed');
    assert.ok(measuredStart(secondBySecond([100, 100, 100, 100, 100, 100])), 'six seconds are enough');
  });
});

describe('measuredStartCaveats', () => {
  it('names a measurement whose first seconds lay more than 10% from its own last half, and is silent within it', () => {
    const [caveat, ...rest] = measuredStartCaveats([secondBySecond([150, 130, 110, 105, 100, 100, 100, 100, 100, 100])]);
    assert.equal(rest.length, 0);
    assert.equal(
      caveat,
      "prefork: the measurement's first 3 s cost 30% more app CPU per user than its own last half (1.30 against 1.00 ms): it had not reached its steady cost when measuring began; --repeat shows whether it holds.",
    );
    assert.deepEqual(measuredStartCaveats([secondBySecond([108, 105, 110, 100, 100, 100, 100, 100, 100, 100])]), []);
    assert.ok(resultCaveats([secondBySecond([150, 130, 110, 105, 100, 100, 100, 100, 100, 100])]).some((c) => c.includes('first 3 s cost 30% more')));
  });

  it('names a queue in the window as the likelier cause', () => {
    const [caveat] = measuredStartCaveats([secondBySecond([100, 100, 100, 100, 100, 150, 150, 150, 150, 150], (second) => (second === 5 ? 60 : 100))]);
    assert.match(caveat!, /cost \d+% less app CPU per user than its own last half/);
    assert.match(caveat!, /the measurement queued \(its second 6 served 60 of 100 arriving users\)/);
  });

  it("keeps each --repeat round's own start with the rounds' verdicts, and the repetitions table names a round off its own last half", () => {
    const runs = [
      secondBySecond([150, 130, 110, 105, 100, 100, 100, 100, 100, 100]),
      secondBySecond([100, 100, 100, 100, 100, 100, 100, 100, 100, 100]),
      variantResultFixture({ users: 1000, durationSeconds: 10 }),
    ].map((r) => ({ ...r, validity: { valid: true, reasons: [] } }));
    const result = withWarmUpChecks(representativeOf(runs), runs);
    assert.deepEqual(
      result.repetitions?.rounds?.map((round) => round.startChange),
      [0.3, 0, undefined],
      'the third has no per-second CPU',
    );
    const table = repetitionsSection([result]).join('\n');
    assert.match(table, /round 1: first 3 s \+30% from its own last half/);
    assert.doesNotMatch(table, /round 2:|round 3:/);
  });

  it('shows the own start beside the warm-up check in the setup table', () => {
    const column = setupAndNeighbourColumns.find((c) => c.header === 'warm-up')!;
    const r = secondBySecond([150, 130, 110, 105, 100, 100, 100, 100, 100, 100]);
    const cell = column.cell({ ...r, warmup: { rate: 100, rounds: rounds(3, 1.2, 1.2, 1.2), steady: true, seconds: 4 } });
    assert.match(cell, /; first 3 s 1\.30 against 1\.00 \(\+30%\)$/);
  });

  it('shows the own start of a cold measurement too, and nothing where there is neither', () => {
    const column = setupAndNeighbourColumns.find((c) => c.header === 'warm-up')!;
    const r = secondBySecond([290, 200, 150, 120, 120, 120, 120, 120, 120, 120]);
    assert.equal(column.cell({ ...r, warmup: { rate: 100, rounds: [], steady: false, seconds: 0 } }), 'none; first 3 s 2.13 against 1.20 (+78%) CPU ms/user');
    assert.equal(column.cell({ ...secondBySecond([undefined, 1, 1, 1, 1, 1, 1, 1, 1, 1]), warmup: { rate: 100, rounds: [], steady: false, seconds: 0 } }), '–');
  });
});
