import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSlo, sloBreaks, slowestLatencyMs, sloText } from '../../common/slo.js';
import { capacityOptionsFrom, capacitySettings, capacityTimeoutMs } from '../../lab/capacity/options.js';
import { variantResultFixture } from '../support/variant-result-fixture.js';
import { optionFailure } from '../support/option-failure.js';

describe('parsing --slo', () => {
  test('the default, every latency field in ms or s, spaces and case ignored', () => {
    assert.deepEqual(parseSlo('errors<1%,p99<1s'), [
      { kind: 'errors', text: 'errors<1%', belowPercent: 1 },
      { kind: 'latency', text: 'p99<1s', field: 'p99', belowMs: 1000 },
    ]);
    assert.deepEqual(
      parseSlo(' P50 < 200ms , errors<0.5%,p90<0.75s,p999<2s,max<10s').map((o) => o.text),
      ['p50<200ms', 'errors<0.5%', 'p90<0.75s', 'p999<2s', 'max<10s'],
    );
    assert.deepEqual(parseSlo('p90<0.75s')[0], { kind: 'latency', text: 'p90<0.75s', field: 'p90', belowMs: 750 });
    assert.equal(sloText(parseSlo('errors < 2% , p99<800ms')), 'errors<2%,p99<800ms');
  });

  test('bad objectives name the option and the offending part', () => {
    optionFailure(() => parseSlo('errors>1%'), /^option --slo has "errors>1%"; each objective must be errors<N% or p50\|p90\|p99\|p999\|max<N/);
    optionFailure(() => parseSlo('p99<800'), /"p99<800"/);
    optionFailure(() => parseSlo('p75<1s'), /"p75<1s"/);
    optionFailure(() => parseSlo('errors<0%'), /above 0% and at most 100%/);
    optionFailure(() => parseSlo('errors<101%'), /at most 100%/);
    optionFailure(() => parseSlo('p99<0ms'), /above 0/);
    optionFailure(() => parseSlo('p99<1s,'), /empty objective/);
    optionFailure(() => parseSlo(''), /empty objective/);
    optionFailure(() => parseSlo('p99<1s,p99<2s'), /names p99 twice/);
    optionFailure(() => parseSlo('integrity'), /"integrity"/);
  });

  test('the slowest time limit, if any', () => {
    assert.equal(slowestLatencyMs(parseSlo('p50<100ms,p99<1s')), 1000);
    assert.equal(slowestLatencyMs(parseSlo('errors<1%')), undefined);
  });
});

describe('checking a result against the SLO', () => {
  const slo = parseSlo('errors<1%,p99<1s');

  test('a result within every objective breaks none', () => {
    assert.deepEqual(sloBreaks(variantResultFixture({ users: 400, medianMs: 40 }), slo), []);
  });

  test('each missed objective is named with what was measured; the limit itself is a miss', () => {
    const slow = variantResultFixture({ users: 200, medianMs: 900, errors: { timeout: 5 } });
    const broken = sloBreaks(slow, slo);
    assert.equal(broken.length, 2);
    assert.equal(broken[0], 'errors 2.5% (5 of 200 users)');
    assert.match(broken[1]!, /^p99 \d+(\.\d)? ms$/);
    assert.deepEqual(sloBreaks(variantResultFixture({ users: 100, errors: { 'http-502': 1 } }), slo), ['errors 1% (1 of 100 users)']);
  });

  test('no finished user means the latency objective is not met', () => {
    assert.deepEqual(sloBreaks(variantResultFixture({ users: 3, errors: { refused: 3 } }), parseSlo('p99<1s')), ['p99 unknown: no user finished']);
  });
});

describe('capacity options', () => {
  test('defaults: 50 to 3200 users/s, 10 s steps, 14 steps, the rate found confirmed twice, the default SLO and a timeout of twice its p99', () => {
    const o = capacityOptionsFrom({}, {}, 2);
    assert.deepEqual(o.search, { startRate: 50, maxRate: 3200, maxSteps: 14, precision: 0.1, confirmations: 2, minRate: 1 });
    assert.equal(o.stepSeconds, 10);
    assert.equal(sloText(o.slo), 'errors<1%,p99<1s');
    assert.equal(o.run.timeoutMs, 2000);
    assert.deepEqual(
      o.run.variants.map((v) => v.name),
      ['prefork', 'threaded', 'fastcgi'],
    );
    assert.equal(o.run.label, 'capacity-design');
    assert.deepEqual(capacitySettings(o), { slo: 'errors<1%,p99<1s', startRate: 50, maxRate: 3200, stepSeconds: 10, maxSteps: 14, confirmations: 2 });
  });

  test("the shared options go through run's parser, with its messages", () => {
    const o = capacityOptionsFrom({ variants: 'prefork', timeout: '5000', label: 'mine', out: '/tmp/x', quiet: true, workers: '3' }, {}, 2);
    assert.equal(o.run.timeoutMs, 5000);
    assert.equal(o.run.label, 'mine');
    assert.equal(o.run.outDir, '/tmp/x');
    assert.equal(o.run.workers, 3);
    optionFailure(() => capacityOptionsFrom({ quiet: true, json: true }, {}, 2), /--quiet cannot be combined with --json/);
    optionFailure(() => capacityOptionsFrom({ variants: 'threaded', workers: '3' }, {}, 2), /--workers applies to prefork variants/);
    optionFailure(() => capacityOptionsFrom({ timeout: 'soon' }, {}, 2), /--timeout must be a whole number/);
  });

  test("capacity's own options", () => {
    const o = capacityOptionsFrom({ startRate: '20', maxRate: '80', stepSeconds: '1', steps: '4', confirm: '0', slo: 'p99<300ms' }, {}, 2);
    assert.deepEqual(o.search, { startRate: 20, maxRate: 80, maxSteps: 4, precision: 0.1, confirmations: 0, minRate: 1 });
    assert.equal(o.stepSeconds, 1);
    assert.equal(o.run.timeoutMs, 1000, 'never below 1 s');
    assert.equal(capacityOptionsFrom({ stepSeconds: '500ms', startRate: '4' }, {}, 2).search.minRate, 2);
    assert.equal(capacityOptionsFrom({ startRate: '5000' }, {}, 2).search.maxRate, 5000, 'the default ceiling moves up to a higher start');
  });

  test('bad capacity options name the option', () => {
    optionFailure(() => capacityOptionsFrom({ startRate: '0' }, {}, 2), /--start-rate must be between 1 and/);
    optionFailure(() => capacityOptionsFrom({ confirm: 'twice' }, {}, 2), /--confirm must be a whole number/);
    optionFailure(() => capacityOptionsFrom({ confirm: '11' }, {}, 2), /--confirm must be between 0 and 10/);
    optionFailure(() => capacityOptionsFrom({ startRate: 'fast' }, {}, 2), /--start-rate must be a whole number/);
    optionFailure(() => capacityOptionsFrom({ startRate: '100', maxRate: '50' }, {}, 2), /--max-rate must be at least --start-rate/);
    optionFailure(() => capacityOptionsFrom({ stepSeconds: '0.1' }, {}, 2), /--step-seconds must be between 0.5 s and 600 s/);
    optionFailure(() => capacityOptionsFrom({ steps: '0' }, {}, 2), /--steps must be between 1 and 100/);
    optionFailure(() => capacityOptionsFrom({ startRate: '1', stepSeconds: '0.5' }, {}, 2), /--start-rate must give at least one user per step/);
    optionFailure(() => capacityOptionsFrom({ slo: 'p99>1s' }, {}, 2), /--slo has "p99>1s"/);
  });

  test("the timeout follows the SLO: twice its slowest limit, between 1 s and run's 10 s", () => {
    assert.equal(capacityTimeoutMs(parseSlo('p99<1s')), 2000);
    assert.equal(capacityTimeoutMs(parseSlo('p50<100ms,p99<2.5s')), 5000);
    assert.equal(capacityTimeoutMs(parseSlo('max<30s')), 10_000);
    assert.equal(capacityTimeoutMs(parseSlo('errors<1%')), 10_000);
  });
});
