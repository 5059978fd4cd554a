// HDR histograms of microseconds: one shape everywhere, so shards from any client merge exactly.
import type { Histogram } from 'hdr-histogram-js';
import type { JsHistogram } from 'hdr-histogram-js/dist/JsHistogram.js';
// The histogram class and its codec straight from their modules: the package's index also loads its
// WebAssembly build and log tools, about 7 MB more resident memory in every client process.
import float64Histogram from 'hdr-histogram-js/dist/Float64Histogram.js';
import { decompress, doDecode } from 'hdr-histogram-js/dist/JsHistogram.encoding.js';
import type { TimeSummary } from './result.js';

/** One hour in microseconds: the longest time a histogram tracks before it has to resize. */
const HIGHEST_TRACKABLE_US = 3_600_000_000;
const BIT_BUCKET_SIZE = 64;
const LOWEST_DISCERNIBLE_US = 1;
const SIGNIFICANT_DIGITS = 3;

export type TimeHistogram = Histogram;

/** What hdr-histogram-js's `build({ bitBucketSize: 64, autoResize: true, ... })` makes. */
export function newTimeHistogram(): TimeHistogram {
  const histogram = new float64Histogram.default(LOWEST_DISCERNIBLE_US, HIGHEST_TRACKABLE_US, SIGNIFICANT_DIGITS);
  histogram.autoResize = true;
  return histogram;
}

/** hdr-histogram-js's `encodeIntoCompressedBase64`: every histogram here is a JsHistogram. */
function encodeIntoCompressedBase64(histogram: TimeHistogram): string {
  return (histogram as JsHistogram).encodeIntoCompressedBase64();
}

/** hdr-histogram-js's `decodeFromCompressedBase64`, with Node's base64 decoder. */
function decodeFromCompressedBase64(encoded: string, bitBucketSize: typeof BIT_BUCKET_SIZE): TimeHistogram {
  return doDecode(decompress(new Uint8Array(Buffer.from(encoded.trim(), 'base64'))), bitBucketSize);
}

/**
 * The figures the report prints. Min and max come from the buckets, not from the exact values seen,
 * so a summary of a decoded or merged histogram equals the summary of the original.
 */
export function summarise(histogram: TimeHistogram): TimeSummary {
  const encoded = encodeIntoCompressedBase64(histogram);
  if (histogram.totalCount === 0) {
    return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, histogram: encoded };
  }
  return {
    count: histogram.totalCount,
    min: histogram.getValueAtPercentile(0),
    mean: Math.round(histogram.mean),
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p99: histogram.getValueAtPercentile(99),
    p999: histogram.getValueAtPercentile(99.9),
    max: histogram.getValueAtPercentile(100),
    histogram: encoded,
  };
}

export function decodeTimeHistogram(encoded: string): TimeHistogram {
  return decodeFromCompressedBase64(encoded, BIT_BUCKET_SIZE);
}

/** Adds the counts of every encoded histogram: percentiles of shards are never averaged. */
export function mergeEncoded(encoded: readonly string[]): TimeHistogram {
  const merged = newTimeHistogram();
  for (const one of encoded) {
    const decoded = decodeTimeHistogram(one);
    merged.add(decoded);
    decoded.destroy();
  }
  return merged;
}

/** How many recorded values are at or below `valueUs` (to the histogram's precision). */
export function countAtOrBelow(histogram: TimeHistogram, valueUs: number): number {
  const js = histogram as JsHistogram;
  if (histogram.totalCount === 0) return 0;
  const last = Math.min(js.countsArrayIndex(Math.max(0, valueUs)), js.countsArrayLength - 1);
  let count = 0;
  for (let i = 0; i <= last; i++) count += js.getCountAtIndex(i);
  return count;
}
