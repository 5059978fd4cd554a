import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTimeHistogram, summarise } from '../../common/histogram.js';
import { mergeLoadResults, mergedMeta, type Shard } from '../../client/merge-results.js';
import type { LoadResult, TimeSummary } from '../../common/result.js';
import { seededRandom } from '../../client/seeded-random.js';
import { LabError } from '../../common/errors.js';

/** Latency-like values in µs: mostly a few ms, a long tail up to seconds. */
function values(seed: number, count: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Math.round(500 + 4_000 * Math.log(1 - random()) ** 2));
}

function summaryOf(all: readonly number[]): TimeSummary {
  const histogram = newTimeHistogram();
  for (const value of all) histogram.recordValue(value);
  const summary = summarise(histogram);
  histogram.destroy();
  return summary;
}

interface ShardFacts {
  seed: number;
  users: number;
  failed: number;
  startedAt?: string;
  durationSeconds?: number;
  variant?: string;
  target?: string;
  meta?: Record<string, string>;
  timeline?: number[];
}

/** A client's result whose histograms hold known values, derived from the seed. */
function shard(facts: ShardFacts): { result: LoadResult; session: number[]; get: number[]; lateness: number[] } {
  const ok = facts.users - facts.failed;
  const session = values(facts.seed, ok);
  const get = values(facts.seed + 100, facts.users);
  const lateness = values(facts.seed + 200, facts.users).map((v) => Math.round(v / 10));
  const markers = Array.from({ length: ok }, (_, i) => `bl:tag${facts.seed}:${i}`);
  const result: LoadResult = {
    target: facts.target ?? 'http://prefork-nginx:8080/',
    variant: facts.variant ?? 'prefork',
    startedAt: facts.startedAt ?? '2025-03-01T14:05:00.000Z',
    durationSeconds: facts.durationSeconds ?? 10,
    options: { users: facts.users, rampSeconds: 10, timeoutMs: 30_000, arrival: 'uniform' },
    users: { scheduled: facts.users, ok, failed: facts.failed, notStarted: 0 },
    errors: facts.failed > 0 ? { timeout: facts.failed } : {},
    sessionTimeUs: summaryOf(session),
    stepTimeUs: { get: summaryOf(get), post: summaryOf(session), redirect: summaryOf(get.slice(0, ok)) },
    latenessUs: summaryOf(lateness),
    requests: { total: ok * 3 + facts.failed, byStatus: { '200': ok * 2, '302': ok, ...(facts.failed > 0 ? { timeout: facts.failed } : {}) } },
    posts: { accepted: ok, indeterminate: 0, pushedOut: 1, acceptedMarkers: markers },
    backends: { prefork: ok * 3 },
    workers: { '101': ok, '102': ok * 2 },
    timeline: (facts.timeline ?? [facts.users]).map((arrivals, second) => ({ second, arrivals, completions: arrivals, errors: 0 })),
    ...(facts.meta ? { meta: facts.meta } : {}),
  };
  return { result, session, get, lateness };
}

const asShards = (results: LoadResult[]): Shard[] => results.map((result, i) => ({ source: `shard-${i}.json`, result }));

function withoutHistogram(summary: TimeSummary): Omit<TimeSummary, 'histogram'> {
  const { histogram: _encoded, ...figures } = summary;
  return figures;
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof LabError, `a LabError, not ${String(error)}`);
    return error.message;
  }
  assert.fail('the merge was not refused');
}

describe('merging client shards', () => {
  const a = shard({ seed: 1, users: 500, failed: 3 });
  const b = shard({ seed: 2, users: 500, failed: 0 });
  const c = shard({ seed: 3, users: 300, failed: 7 });
  const merged = mergeLoadResults(asShards([a.result, b.result, c.result]));

  it('gives exactly the percentiles of one histogram fed every value', () => {
    const all = [a, b, c];
    assert.deepEqual(withoutHistogram(merged.sessionTimeUs), withoutHistogram(summaryOf(all.flatMap((s) => s.session))));
    assert.deepEqual(withoutHistogram(merged.stepTimeUs.get), withoutHistogram(summaryOf(all.flatMap((s) => s.get))));
    assert.deepEqual(withoutHistogram(merged.latenessUs), withoutHistogram(summaryOf(all.flatMap((s) => s.lateness))));
    assert.equal(merged.sessionTimeUs.count, 500 - 3 + 500 + 300 - 7);
  });

  it('adds every count', () => {
    assert.deepEqual(merged.users, { scheduled: 1300, ok: 1290, failed: 10, notStarted: 0 });
    assert.equal(merged.options.users, 1300);
    assert.deepEqual(merged.errors, { timeout: 10 });
    assert.equal(merged.requests.total, 1290 * 3 + 10);
    assert.deepEqual(merged.requests.byStatus, { '200': 2580, '302': 1290, timeout: 10 });
    assert.deepEqual(merged.backends, { prefork: 3870 });
    assert.deepEqual(merged.workers, { '101': 1290, '102': 2580 });
    assert.equal(merged.posts.accepted, 1290);
    assert.equal(merged.posts.pushedOut, 3);
    assert.equal(merged.posts.acceptedMarkers.length, 1290);
    assert.equal(new Set(merged.posts.acceptedMarkers).size, 1290);
  });

  it('spans from the first start to the last end and adds timelines second by second', () => {
    const early = shard({ seed: 4, users: 20, failed: 0, startedAt: '2025-03-01T14:05:00.000Z', durationSeconds: 12, timeline: [5, 5, 10] });
    const late = shard({ seed: 5, users: 20, failed: 0, startedAt: '2025-03-01T14:05:02.000Z', durationSeconds: 11.5, timeline: [10, 10] });
    const result = mergeLoadResults(asShards([early.result, late.result]));
    assert.equal(result.startedAt, '2025-03-01T14:05:00.000Z');
    assert.equal(result.durationSeconds, 13.5);
    assert.deepEqual(
      result.timeline.map((s) => s.arrivals),
      [5, 5, 20, 10],
    );
    assert.deepEqual(
      result.timeline.map((s) => s.second),
      [0, 1, 2, 3],
    );
  });

  it("keeps each second's latest start over the shards, where any shard had one", () => {
    const late = (result: LoadResult, latenessMaxMs: Array<number | undefined>): LoadResult => ({
      ...result,
      timeline: result.timeline.map((s, i) => (latenessMaxMs[i] === undefined ? s : { ...s, latenessMaxMs: latenessMaxMs[i] })),
    });
    const one = late(shard({ seed: 7, users: 20, failed: 0, timeline: [5, 5, 10] }).result, [0.4, 7.5, undefined]);
    const two = late(shard({ seed: 8, users: 20, failed: 0, timeline: [10, 10, 0] }).result, [2.25, 0.1, undefined]);
    const merged = mergeLoadResults(asShards([one, two]));
    assert.deepEqual(
      merged.timeline.map((s) => s.latenessMaxMs),
      [2.25, 7.5, undefined],
    );
  });

  it('keeps the facts every client agrees on and lists the ones they do not', () => {
    const one = shard({ seed: 6, users: 5, failed: 0, meta: { app_cpus: '1', host: 'client-a' } });
    const two = shard({ seed: 7, users: 5, failed: 0, meta: { app_cpus: '1', host: 'client-b' } });
    assert.deepEqual(mergeLoadResults(asShards([one.result, two.result])).meta, { app_cpus: '1', host: 'client-a,client-b' });
    assert.equal(mergedMeta([undefined, undefined]), undefined);
    assert.equal('meta' in merged, false);
  });

  it('refuses shards of different variants or targets, naming both files', () => {
    const other = shard({ seed: 8, users: 5, failed: 0, variant: 'threaded' });
    assert.match(
      refusal(() => mergeLoadResults(asShards([a.result, other.result]))),
      /different variants: "prefork" in shard-0\.json, "threaded" in shard-1\.json/,
    );
    const elsewhere = shard({ seed: 9, users: 5, failed: 0, target: 'http://threaded-nginx:8080/' });
    assert.match(
      refusal(() => mergeLoadResults(asShards([a.result, elsewhere.result]))),
      /different targets/,
    );
  });

  it('adds up the planned arrivals next to the achieved ones, second by second', () => {
    const withPlan = (seed: number, planned: number[]) => {
      const { result } = shard({ seed, users: 20, failed: 0, timeline: planned });
      return { ...result, timeline: result.timeline.map((s, i) => ({ ...s, planned: planned[i]! })) };
    };
    const result = mergeLoadResults(asShards([withPlan(10, [10, 10]), withPlan(11, [12, 8])]));
    assert.deepEqual(
      result.timeline.map((s) => s.planned),
      [22, 18],
    );
  });

  it('adds up in-flight caps and closed pools, and keeps what the shards share', () => {
    const withOptions = (seed: number, options: Partial<LoadResult['options']>) => {
      const { result } = shard({ seed, users: 20, failed: 0 });
      return { ...result, options: { ...result.options, ...options } };
    };
    const capped = mergeLoadResults(
      asShards([withOptions(12, { maxActive: 3, onSaturation: 'drop' }), withOptions(13, { maxActive: 2, onSaturation: 'drop' })]),
    );
    assert.deepEqual(capped.options, { users: 40, rampSeconds: 10, timeoutMs: 30_000, arrival: 'uniform', maxActive: 5, onSaturation: 'drop' });
    const pool = { mode: 'closed' as const, durationSeconds: 10 };
    const closed = mergeLoadResults(asShards([withOptions(14, { ...pool, connections: 3 }), withOptions(15, { ...pool, connections: 2 })]));
    assert.deepEqual(closed.options, {
      users: 40,
      rampSeconds: 10,
      timeoutMs: 30_000,
      arrival: 'uniform',
      mode: 'closed',
      durationSeconds: 10,
      connections: 5,
    });
    assert.match(
      refusal(() =>
        mergeLoadResults(asShards([withOptions(16, { maxActive: 3, onSaturation: 'drop' }), withOptions(17, { maxActive: 3, onSaturation: 'wait' })])),
      ),
      /different load options/,
    );
  });

  it('counts the event loops of processes that ran several', () => {
    const withClient = (seed: number, client: LoadResult['client']) => ({ ...shard({ seed, users: 10, failed: 0 }).result, client });
    const loops = { cpuSeconds: 1, wallSeconds: 10, eventLoopDelayP99Ms: 1, eventLoopDelayMaxMs: 2 };
    const result = mergeLoadResults(asShards([withClient(18, { ...loops, processes: 1, eventLoops: 4 }), withClient(19, loops)]));
    assert.deepEqual(result.client, { cpuSeconds: 2, wallSeconds: 10, eventLoopDelayP99Ms: 1, eventLoopDelayMaxMs: 2, processes: 2, eventLoops: 5 });
    assert.equal(mergeLoadResults(asShards([withClient(20, loops), withClient(21, loops)])).client!.eventLoops, undefined);
    // Four loops on one CPU, and a one-loop process: two CPUs' worth of time.
    const shared = mergeLoadResults(asShards([withClient(22, { ...loops, processes: 1, eventLoops: 4, cpus: 1 }), withClient(23, loops)]));
    assert.deepEqual([shared.client!.eventLoops, shared.client!.cpus], [5, 2]);
  });

  it('refuses the same client run given twice, and nothing at all', () => {
    assert.match(
      refusal(() => mergeLoadResults(asShards([a.result, b.result, a.result]))),
      /shard-0\.json and shard-2\.json hold the same posts/,
    );
    assert.match(
      refusal(() => mergeLoadResults([])),
      /no result shards/,
    );
  });
});
