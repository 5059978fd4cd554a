import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { decodeTimeHistogram, mergeEncoded, newTimeHistogram, summarise } from '../../common/histogram.js';
import { seededRandom } from '../../client/seeded-random.js';

/** Latency-like values in µs: mostly a few ms, a long tail up to seconds. */
function values(seed: number, count: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Math.round(500 + 4_000 * Math.log(1 - random()) ** 2));
}

describe('time histograms', () => {
  it('summarises an empty histogram as zeros, still with an encoded histogram', () => {
    const summary = summarise(newTimeHistogram());
    assert.deepEqual({ ...summary, histogram: '' }, { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, histogram: '' });
    assert.equal(decodeTimeHistogram(summary.histogram).totalCount, 0);
  });

  it('summarises within 3 significant digits of the exact values', () => {
    const histogram = newTimeHistogram();
    for (let value = 1; value <= 10_000; value++) histogram.recordValue(value * 100);
    const summary = summarise(histogram);
    assert.equal(summary.count, 10_000);
    const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) <= expected / 1000, `${actual} vs ${expected}`);
    near(summary.min, 100);
    near(summary.p50, 500_000);
    near(summary.p90, 900_000);
    near(summary.p99, 990_000);
    near(summary.p999, 999_000);
    near(summary.max, 1_000_000);
    near(summary.mean, 500_050);
  });

  it('records times beyond an hour instead of throwing', () => {
    const histogram = newTimeHistogram();
    histogram.recordValue(5 * 3_600_000_000);
    assert.ok(summarise(histogram).max >= 5 * 3_600_000_000);
  });

  it('merges encoded shards into exactly the histogram of all values', () => {
    const shardA = values(1, 5_000);
    const shardB = values(2, 3_000).map((value) => value * 7);
    const [a, b, all] = [newTimeHistogram(), newTimeHistogram(), newTimeHistogram()];
    for (const value of shardA) {
      a.recordValue(value);
      all.recordValue(value);
    }
    for (const value of shardB) {
      b.recordValue(value);
      all.recordValue(value);
    }

    const merged = summarise(mergeEncoded([summarise(a).histogram, summarise(b).histogram]));
    const single = summarise(all);
    assert.equal(merged.count, 8_000);
    assert.deepEqual({ ...merged, histogram: '' }, { ...single, histogram: '' });
    assert.ok(merged.max > summarise(a).max, 'the merge keeps the larger shard maximum');
  });

  it('summarises a decoded histogram the same as the original', () => {
    const histogram = newTimeHistogram();
    for (const value of values(5, 2_000)) histogram.recordValue(value);
    const summary = summarise(histogram);
    assert.deepEqual(summarise(decodeTimeHistogram(summary.histogram)), summary);
  });

  it('merges nothing into an empty histogram', () => {
    assert.equal(summarise(mergeEncoded([])).count, 0);
  });

  it('encodes the standard compressed format that hdr-histogram-js itself decodes', () => {
    const histogram = newTimeHistogram();
    for (const value of values(7, 3_000)) histogram.recordValue(value);
    const summary = summarise(histogram);
    const decoded = decodeFromCompressedBase64(summary.histogram, 64);
    assert.equal(decoded.totalCount, summary.count);
    for (const [percentile, expected] of [
      [50, summary.p50],
      [99, summary.p99],
      [100, summary.max],
    ] as const) {
      assert.equal(decoded.getValueAtPercentile(percentile), expected);
    }
  });

  it('loads neither pako nor the histogram classes it does not use (patches/hdr-histogram-js)', () => {
    // A fresh process: this one may have loaded them through the package's index.
    const loaded = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
       const histogram = await import(${JSON.stringify(new URL('../../common/histogram.js', import.meta.url).href)});
       histogram.summarise(histogram.newTimeHistogram());
       console.log(Object.keys(createRequire(import.meta.url).cache).join('\\n'));`,
      ],
      { encoding: 'utf8' },
    );
    assert.match(loaded, /hdr-histogram-js\/dist\/JsHistogram\.encoding\.js/, 'the check sees the modules it loaded');
    assert.doesNotMatch(loaded, /\/pako\//);
    assert.doesNotMatch(loaded, /PackedHistogram|JsHistogramFactory/);
  });
});
