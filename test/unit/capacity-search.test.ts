import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { highestPassing, lowestFailing, nextRate, type RateSearch, type RateVerdict, type SearchEnd } from '../../lab/capacity/search.js';

const DEFAULTS: RateSearch = { startRate: 50, maxRate: 3200, maxSteps: 14, precision: 0.1, confirmations: 2, minRate: 1 };

const history = (...steps: Array<[number, boolean]>): RateVerdict[] => steps.map(([rate, pass]) => ({ rate, pass }));

/**
 * Runs the search against a server that holds the SLO up to `trueCapacity` users/s, or, once
 * measured at a rate, only up to `secondTime` the next time there (a server on a knife's edge).
 */
function search(trueCapacity: number, options: RateSearch = DEFAULTS, secondTime = trueCapacity): { rates: number[]; end: SearchEnd; capacity: number | null } {
  const steps: RateVerdict[] = [];
  for (;;) {
    const next = nextRate(steps, options);
    if ('done' in next) return { rates: steps.map((s) => s.rate), end: next.done, capacity: highestPassing(steps) };
    const before = steps.filter((s) => s.rate === next.rate).length;
    assert.ok(before <= options.confirmations, `rate ${next.rate} measured more than ${options.confirmations + 1} times`);
    steps.push({ rate: next.rate, pass: next.rate <= (before === 0 ? trueCapacity : secondTime) });
  }
}

describe('nextRate', () => {
  test('starts at the start rate, and doubles while the SLO holds', () => {
    assert.deepEqual(nextRate([], DEFAULTS), { rate: 50 });
    assert.deepEqual(nextRate(history([50, true]), DEFAULTS), { rate: 100 });
    assert.deepEqual(nextRate(history([50, true], [100, true], [200, true]), DEFAULTS), { rate: 400 });
  });

  test('never goes above the maximum, and stops once the maximum passed', () => {
    const upTo = { ...DEFAULTS, startRate: 30, maxRate: 100 };
    assert.deepEqual(nextRate(history([30, true], [60, true]), upTo), { rate: 100 });
    assert.deepEqual(nextRate(history([30, true], [60, true], [100, true]), upTo), { done: 'max-rate' });
    assert.deepEqual(nextRate([], { ...DEFAULTS, startRate: 500, maxRate: 400 }), { rate: 400 });
  });

  test('bisects between the highest passing and the lowest failing rate until the gap is under 10%', () => {
    const h = history([50, true], [100, true], [200, true], [400, true], [800, false]);
    assert.deepEqual(nextRate(h, DEFAULTS), { rate: 600 });
    assert.deepEqual(nextRate([...h, ...history([600, true])], DEFAULTS), { rate: 700 });
    assert.deepEqual(nextRate([...h, ...history([600, true], [700, false])], DEFAULTS), { rate: 650 });
    assert.deepEqual(nextRate([...h, ...history([600, true], [700, false], [650, true])], DEFAULTS), { rate: 650 }, 'measured again');
    assert.deepEqual(nextRate([...h, ...history([600, true], [700, false], [650, true], [650, true])], DEFAULTS), { rate: 650 }, 'and again');
    assert.deepEqual(nextRate([...h, ...history([600, true], [700, false], [650, true], [650, true], [650, true])], DEFAULTS), { done: 'converged' });
    assert.deepEqual(nextRate(history([100, true], [109, false]), DEFAULTS), { rate: 100 });
    assert.deepEqual(nextRate(history([100, true], [109, false], [100, true], [100, true]), DEFAULTS), { done: 'converged' });
    assert.deepEqual(nextRate(history([100, true], [110, false]), DEFAULTS), { rate: 105 });
  });

  test('a rate that failed its confirmation is a failing rate: the bisection goes on below it', () => {
    const h = history([50, true], [100, true], [200, true], [400, true], [800, false], [600, false], [500, true], [550, false], [525, false]);
    assert.deepEqual(nextRate(h, DEFAULTS), { rate: 500 });
    assert.equal(highestPassing([...h, ...history([500, false])]), 400);
    assert.deepEqual(nextRate([...h, ...history([500, false])], { ...DEFAULTS, maxSteps: 12 }), { rate: 450 });
  });

  test('stops when the steps run out, but not before saying it converged', () => {
    const five = { ...DEFAULTS, maxSteps: 5 };
    const h = history([50, true], [100, true], [200, true], [400, true], [800, false]);
    assert.deepEqual(nextRate(h, five), { done: 'steps' });
    assert.deepEqual(nextRate(history([50, true], [100, true]), { ...DEFAULTS, maxSteps: 2 }), { done: 'steps' });
    assert.deepEqual(nextRate(history([100, true], [105, false]), { ...DEFAULTS, maxSteps: 2 }), { done: 'steps' }, 'unconfirmed');
    assert.deepEqual(nextRate(history([100, true], [105, false]), { ...DEFAULTS, maxSteps: 2, confirmations: 0 }), { done: 'converged' });
  });

  test('halves from a failing start rate down to the lowest rate worth measuring', () => {
    assert.deepEqual(nextRate(history([50, false]), DEFAULTS), { rate: 25 });
    assert.deepEqual(nextRate(history([50, false], [25, true]), DEFAULTS), { rate: 38 });
    assert.deepEqual(nextRate(history([2, false]), DEFAULTS), { rate: 1 });
    assert.deepEqual(nextRate(history([2, false], [1, false]), DEFAULTS), { done: 'min-rate' });
    assert.deepEqual(nextRate(history([8, false]), { ...DEFAULTS, minRate: 5 }), { done: 'min-rate' });
  });

  test('a rate between two neighbouring integers ends the search rather than repeating one', () => {
    assert.deepEqual(nextRate(history([1, true], [2, false], [1, true], [1, true]), DEFAULTS), { done: 'converged' });
  });
});

describe('the whole search against servers of known capacity', () => {
  test('with the defaults, capacities from 50 to 800 users/s are found within 10% and confirmed twice in at most 11 steps', () => {
    for (let trueCapacity = 50; trueCapacity < 800; trueCapacity += 3) {
      const found = search(trueCapacity);
      assert.ok(found.rates.length <= 11, `${trueCapacity}: ${found.rates.join(' ')}`);
      assert.equal(found.end, 'converged', `${trueCapacity}: ${found.rates.join(' ')}`);
      assert.equal(found.rates.filter((rate) => rate === found.capacity).length, 3, `${trueCapacity}: ${found.rates.join(' ')}`);
      assert.ok(found.capacity !== null && found.capacity <= trueCapacity && found.capacity > trueCapacity / 1.1, `${trueCapacity}: found ${found.capacity}`);
    }
  });

  test('the rates run as doubling from the start, then bisecting', () => {
    assert.deepEqual(search(500).rates, [50, 100, 200, 400, 800, 600, 500, 550, 525, 500, 500]);
    assert.equal(search(500).end, 'converged');
    assert.deepEqual(search(130).rates, [50, 100, 200, 150, 125, 138, 132, 125, 125]);
    assert.equal(search(130).end, 'converged');
    assert.deepEqual(search(10_000).rates, [50, 100, 200, 400, 800, 1600, 3200]);
    assert.equal(search(10_000).end, 'max-rate');
  });

  test('never reports a capacity above the truth, whatever the settings', () => {
    for (const options of [
      DEFAULTS,
      { ...DEFAULTS, startRate: 20, maxRate: 80 },
      { ...DEFAULTS, maxSteps: 3 },
      { ...DEFAULTS, startRate: 7, maxRate: 5000, maxSteps: 12 },
    ]) {
      for (const trueCapacity of [0, 1, 3, 19, 20, 49, 50, 51, 333, 799, 800, 2500, 4000]) {
        const found = search(trueCapacity, options);
        assert.ok(found.rates.length <= options.maxSteps, `${trueCapacity}: ${found.rates.join(' ')}`);
        assert.ok(found.capacity === null || found.capacity <= trueCapacity, `${trueCapacity}: found ${found.capacity}`);
        if (found.capacity === null) assert.ok(['min-rate', 'steps'].includes(found.end), `${trueCapacity}: ${found.end}`);
      }
    }
  });
});

test('a server that holds a rate once and not the second time is not credited with it', () => {
  // Holds 500 the first time it sees a rate, only 450 the second.
  const found = search(500, { ...DEFAULTS, maxSteps: 16 }, 450);
  assert.deepEqual(found.rates, [50, 100, 200, 400, 800, 600, 500, 550, 525, 500, 450, 475, 475, 450, 450]);
  assert.equal(found.capacity, 450);
  assert.equal(found.end, 'converged');
});

describe('passing and failing bounds', () => {
  test('the highest passing rate and the lowest failing one above it', () => {
    const h = history([50, true], [100, true], [200, false], [150, true], [175, false]);
    assert.equal(highestPassing(h), 150);
    assert.equal(lowestFailing(h, 150), 175);
    assert.equal(highestPassing(history([50, false])), null);
    assert.equal(lowestFailing(history([50, true])), null);
    assert.equal(highestPassing(history([50, true], [100, true], [100, false])), 50, 'a rate that failed once does not pass');
  });
});
