import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runOptionsFrom } from '../../lab/run-options.js';
import { formatBreach, parseThresholds, THRESHOLD_EXIT_CODE, thresholdBreaches } from '../../lab/thresholds.js';
import { variantResultFixture } from '../support/variant-result-fixture.js';
import { optionFailure } from '../support/option-failure.js';

describe('parsing --fail-on', () => {
  test('errors, every latency field in ms or s, and integrity', () => {
    assert.deepEqual(parseThresholds('errors>1%, p99>800ms,p50>0.5s,p90>20ms,p999>2s,max>10s,integrity'), [
      { kind: 'errors', text: 'errors>1%', maxPercent: 1 },
      { kind: 'latency', text: 'p99>800ms', field: 'p99', maxMs: 800 },
      { kind: 'latency', text: 'p50>0.5s', field: 'p50', maxMs: 500 },
      { kind: 'latency', text: 'p90>20ms', field: 'p90', maxMs: 20 },
      { kind: 'latency', text: 'p999>2s', field: 'p999', maxMs: 2000 },
      { kind: 'latency', text: 'max>10s', field: 'max', maxMs: 10_000 },
      { kind: 'integrity', text: 'integrity' },
    ]);
  });

  test('bad limits name the option and the offending part', () => {
    optionFailure(() => parseThresholds('p99>800'), /^option --fail-on has "p99>800"; each limit must be/);
    optionFailure(() => parseThresholds('p75>1s'), /"p75>1s"/);
    optionFailure(() => parseThresholds('errors>1'), /"errors>1"/);
    optionFailure(() => parseThresholds('errors<1%'), /"errors<1%"/);
    optionFailure(() => parseThresholds('errors>101%'), /at most 100%/);
    optionFailure(() => parseThresholds('errors>1%,'), /empty limit/);
    optionFailure(() => parseThresholds(''), /empty limit/);
  });

  test('run options carry the limits and --quiet; --quiet with --json is refused', () => {
    const options = runOptionsFrom({ variants: 'prefork', failOn: 'errors>1%', quiet: true }, {}, 2);
    assert.deepEqual(options.failOn, [{ kind: 'errors', text: 'errors>1%', maxPercent: 1 }]);
    assert.equal(options.quiet, true);
    assert.deepEqual(runOptionsFrom({ variants: 'prefork' }, {}, 2).failOn, []);
    optionFailure(() => runOptionsFrom({ variants: 'prefork', failOn: 'p99>fast' }, {}, 2), /--fail-on/);
    optionFailure(() => runOptionsFrom({ variants: 'prefork', quiet: true, json: true }, {}, 2), /--quiet cannot be combined with --json/);
  });
});

describe('breaches', () => {
  const fine = variantResultFixture({ variant: 'prefork', users: 400, medianMs: 40, tail: 0.2 });
  const slow = variantResultFixture({ variant: 'fastcgi', users: 400, medianMs: 900, tail: 0.2, errors: { timeout: 8 }, integrityOk: false });

  test('exit code follows k6', () => {
    assert.equal(THRESHOLD_EXIT_CODE, 99);
  });

  test('only the variants that break a limit, with by how much', () => {
    const breaches = thresholdBreaches([fine, slow], parseThresholds('errors>1%,p99>800ms,integrity'));
    assert.deepEqual(
      breaches.map((b) => [b.variant, b.threshold]),
      [
        ['fastcgi', 'errors>1%'],
        ['fastcgi', 'p99>800ms'],
        ['fastcgi', 'integrity'],
      ],
    );
    assert.equal(breaches[0]!.detail, 'errors are 2% (8 of 400 users), 1 points over');
    const p99Ms = slow.sessionTimeUs.p99 / 1000;
    assert.match(breaches[1]!.detail, new RegExp(`^p99 is ${p99Ms.toFixed(1).replace(/\.0$/, '')} ms, [\\d.]+ ms over \\(\\+[\\d.]+%\\)$`));
    assert.equal(breaches[2]!.detail, `integrity failed: 2 missing`);
    assert.equal(formatBreach(breaches[0]!), 'fastcgi breaks --fail-on errors>1%: errors are 2% (8 of 400 users), 1 points over');
  });

  test('a limit equal to the value holds; zero errors pass errors>0%', () => {
    const p99Ms = fine.sessionTimeUs.p99 / 1000;
    assert.deepEqual(thresholdBreaches([fine], parseThresholds(`p99>${p99Ms}ms,errors>0%`)), []);
    assert.equal(thresholdBreaches([fine], parseThresholds(`p99>${p99Ms - 1}ms`)).length, 1);
  });

  test('a latency limit breaks when no user finished at all', () => {
    const dead = variantResultFixture({ variant: 'dead', users: 5, errors: { refused: 5 } });
    assert.deepEqual(
      thresholdBreaches([dead], parseThresholds('p99>1s')).map((b) => b.detail),
      ['p99 is unknown: no user finished'],
    );
  });
});
