import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  errorClassChart,
  resourceChart,
  SPECTRUM_PERCENTILES,
  spectrumChart,
  spectrumMs,
  spectrumPosition,
  stackTops,
  timelineChart,
  workerChart,
} from '../../report/chart-data.js';
import { timesOf, variantResultFixture } from '../support/variant-result-fixture.js';

describe('percentile spectrum', () => {
  test('positions put each nine one decade further right', () => {
    assert.equal(spectrumPosition(0), 1);
    assert.ok(Math.abs(spectrumPosition(90) - 10) < 1e-9);
    assert.ok(Math.abs(spectrumPosition(99.9) - 1000) < 1e-6);
  });

  test('percentiles run from 0 to 99.999, strictly rising', () => {
    assert.equal(SPECTRUM_PERCENTILES[0], 0);
    assert.ok(Math.abs(SPECTRUM_PERCENTILES[SPECTRUM_PERCENTILES.length - 1]! - 99.999) < 1e-9);
    for (let i = 1; i < SPECTRUM_PERCENTILES.length; i++) assert.ok(SPECTRUM_PERCENTILES[i]! > SPECTRUM_PERCENTILES[i - 1]!);
  });

  test('a decoded histogram gives rising times that match its summary', () => {
    const times = timesOf(Array.from({ length: 1000 }, (_, i) => i + 1));
    const ms = spectrumMs(times);
    assert.equal(ms.length, SPECTRUM_PERCENTILES.length);
    for (let i = 1; i < ms.length; i++) assert.ok(ms[i]! >= ms[i - 1]!, `rising at ${i}`);
    assert.equal(ms[0], times.min / 1000);
    const at90 = SPECTRUM_PERCENTILES.findIndex((p) => Math.abs(p - 90) < 1e-9);
    assert.ok(at90 > 0);
    assert.equal(ms[at90], times.p90 / 1000);
    assert.ok(Math.abs(ms[at90]! - 900) <= 1, `p90 ≈ 900 ms, got ${ms[at90]}`);
    assert.equal(ms[ms.length - 1], times.max / 1000);
  });

  test('nothing counted gives no points', () => {
    assert.ok(spectrumMs(timesOf([])).every((v) => v === null));
  });

  test('an undecodable histogram falls back to the summary percentiles as steps', () => {
    const times = { ...timesOf([10, 20, 30, 40, 1000]), histogram: '' };
    const ms = spectrumMs(times);
    assert.equal(ms[0], times.min / 1000);
    const justAbove50 = SPECTRUM_PERCENTILES.findIndex((p) => p > 50);
    assert.equal(ms[justAbove50], times.p90 / 1000);
    assert.equal(ms[ms.length - 1], times.max / 1000);
    assert.deepEqual(spectrumMs({ ...times, histogram: 'not base64 at all' }), ms);
  });

  test('a chart has one series per entry over the shared axis', () => {
    const chart = spectrumChart('s', 'User time', [
      { label: 'a', times: timesOf([1, 2, 3]), colorIndex: 0 },
      { label: 'b', times: timesOf([4, 5, 6]), colorIndex: 1, dashed: true },
    ]);
    assert.equal(chart.x.length, SPECTRUM_PERCENTILES.length);
    assert.deepEqual(
      chart.series.map((s) => [s.label, s.dashed ?? false, s.values.length]),
      [
        ['a', false, chart.x.length],
        ['b', true, chart.x.length],
      ],
    );
  });
});

describe('timeline', () => {
  test('arrivals, completions and errors per second, sorted by second', () => {
    const chart = timelineChart('t', 'x', [
      { second: 1, arrivals: 5, completions: 4, errors: 1 },
      { second: 0, arrivals: 3, completions: 2, errors: 0 },
    ]);
    assert.deepEqual(chart.x, [0, 1]);
    assert.deepEqual(
      chart.series.map((s) => [s.label, s.values]),
      [
        ['arrivals/s', [3, 5]],
        ['completions/s', [2, 4]],
        ['errors/s', [0, 1]],
      ],
    );
  });

  test('p50 and p99 per second appear only when the timeline carries them', () => {
    const withLatency = [
      { second: 0, arrivals: 1, completions: 1, errors: 0, p50Us: 2000, p99Us: 9000 },
      { second: 1, arrivals: 1, completions: 0, errors: 0 },
    ];
    const chart = timelineChart('t', 'x', withLatency);
    assert.deepEqual(
      chart.series.filter((s) => s.axis === 'ms').map((s) => [s.label, s.values]),
      [
        ['p50 ms', [2, null]],
        ['p99 ms', [9, null]],
      ],
    );
  });
});

describe('stacked bars', () => {
  test('tops are running sums from the bottom layer', () => {
    assert.deepEqual(
      stackTops([
        [1, 2],
        [3, 0],
        [5, 1],
      ]),
      [
        [1, 2],
        [4, 2],
        [9, 3],
      ],
    );
    assert.deepEqual(stackTops([]), []);
  });

  test('error classes: most frequent over all variants at the bottom, zero where a variant had none', () => {
    const results = [
      variantResultFixture({ variant: 'a', errors: { timeout: 2 } }),
      variantResultFixture({ variant: 'b', errors: { 'http-502': 5, timeout: 1 } }),
    ];
    const chart = errorClassChart('e', results);
    assert.deepEqual(chart.categories, ['a', 'b']);
    assert.deepEqual(
      chart.layers.map((l) => [l.label, l.values, l.tops]),
      [
        ['http-502', [0, 5], [0, 5]],
        ['timeout', [2, 1], [2, 6]],
      ],
    );
  });

  test('no errors gives an empty chart that says so', () => {
    const chart = errorClassChart('e', [variantResultFixture()]);
    assert.equal(chart.layers.length, 0);
    assert.match(chart.title, /none failed/);
  });

  test('resources stack app server, nginx and the database when one was sampled, memory in MB', () => {
    const results = [variantResultFixture({ variant: 'a', rssPeakMb: 300, withDatabase: true }), variantResultFixture({ variant: 'b' })];
    const rss = resourceChart('r', 'rss', results, 'rssPeakBytes');
    assert.equal(rss.unit, 'MB');
    assert.deepEqual(
      rss.layers.map((l) => [l.label, l.values]),
      [
        ['app server', [300, 300]],
        ['nginx', [12, 12]],
        ['database', [250, 0]],
      ],
    );
    const cpu = resourceChart('c', 'cpu', [variantResultFixture({ cpuSeconds: 3 })], 'cpuSeconds');
    assert.deepEqual(
      cpu.layers.map((l) => l.label),
      ['app server', 'nginx'],
      'no database layer when none was sampled',
    );
    assert.deepEqual(cpu.layers[0]!.values, [3]);
  });

  test('workers: busiest first, ties by worker id', () => {
    const chart = workerChart('w', variantResultFixture({ workers: { '12:2': 5, '12:10': 5, '9': 7 } }), 0);
    assert.deepEqual(chart.categories, ['9', '12:2', '12:10']);
    assert.deepEqual(chart.layers[0]!.values, [7, 5, 5]);
  });
});
