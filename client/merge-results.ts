// Merges the shards that several client processes or hosts wrote for one variant into one result.
// Counts add and histograms are decoded and added, so every percentile is exact: nothing is averaged.
import { LabError } from '../common/errors.js';
import { mergeEncoded, summarise } from '../common/histogram.js';
import type { LoadResult, StepName, TimelineSecond, TimeSummary } from '../common/result.js';

export interface Shard {
  /** Where it came from (a file path), for messages. */
  source: string;
  result: LoadResult;
}

const MS_PER_SECOND = 1_000;
const STEPS: readonly StepName[] = ['get', 'post', 'redirect'];

function refuse(message: string): never {
  throw new LabError('BL_ERR_USAGE', message);
}

/** Every shard must agree on `field`; the message names a shard that differs. */
function common<T>(shards: readonly Shard[], what: string, field: (r: LoadResult) => T): T {
  const [first, ...rest] = shards;
  const value = field(first!.result);
  const other = rest.find((s) => JSON.stringify(field(s.result)) !== JSON.stringify(value));
  if (other !== undefined) {
    refuse(`cannot merge shards of different ${what}: ${JSON.stringify(value)} in ${first!.source}, ${JSON.stringify(field(other.result))} in ${other.source}`);
  }
  return value;
}

function addCounts(maps: readonly Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const map of maps) for (const [key, count] of Object.entries(map)) sum[key] = (sum[key] ?? 0) + count;
  return sum;
}

function total(shards: readonly Shard[], field: (r: LoadResult) => number): number {
  return shards.reduce((sum, s) => sum + field(s.result), 0);
}

function mergedSummary(summaries: readonly TimeSummary[]): TimeSummary {
  const histogram = mergeEncoded(summaries.map((s) => s.histogram));
  try {
    return summarise(histogram);
  } finally {
    histogram.destroy();
  }
}

/** Second i of a shard that started `offsetSeconds` after the earliest one is second i + offset of the merge. */
function mergedTimeline(shards: readonly Shard[], startMs: number): TimelineSecond[] {
  const timeline: TimelineSecond[] = [];
  for (const { result } of shards) {
    const offsetSeconds = Math.round((Date.parse(result.startedAt) - startMs) / MS_PER_SECOND);
    for (const second of result.timeline) {
      const index = second.second + offsetSeconds;
      for (let i = timeline.length; i <= index; i++) timeline.push({ second: i, arrivals: 0, completions: 0, errors: 0 });
      const into = timeline[index]!;
      into.arrivals += second.arrivals;
      into.completions += second.completions;
      into.errors += second.errors;
      if (second.planned !== undefined) into.planned = (into.planned ?? 0) + second.planned;
      if (second.latenessMaxMs !== undefined) into.latenessMaxMs = Math.max(into.latenessMaxMs ?? 0, second.latenessMaxMs);
    }
  }
  return timeline;
}

/** Keys every shard agrees on keep their value; differing values are listed, sorted, comma separated. */
export function mergedMeta(metas: readonly (Record<string, string> | undefined)[]): Record<string, string> | undefined {
  if (metas.every((m) => m === undefined)) return undefined;
  const values = new Map<string, Set<string>>();
  for (const meta of metas) {
    for (const [key, value] of Object.entries(meta ?? {})) {
      if (!values.has(key)) values.set(key, new Set());
      values.get(key)!.add(value);
    }
  }
  return Object.fromEntries([...values].sort(([a], [b]) => a.localeCompare(b)).map(([key, set]) => [key, [...set].sort().join(',')]));
}

/** A marker in two shards means one client run was given twice, which would double every count. */
function assertDistinctRuns(shards: readonly Shard[]): void {
  const owner = new Map<string, string>();
  for (const { source, result } of shards) {
    for (const marker of result.posts.acceptedMarkers) {
      const seen = owner.get(marker);
      if (seen !== undefined && seen !== source) refuse(`${seen} and ${source} hold the same posts: the same client run was given twice`);
      owner.set(marker, source);
    }
  }
}

type ClientCost = NonNullable<LoadResult['client']>;

/** Event loops a client ran: one per process unless it says otherwise. */
export function eventLoopsOf(client: ClientCost): number {
  return client.eventLoops ?? client.processes ?? 1;
}

/** CPUs a client's event loops could use at once: what its CPU time is a share of. */
export function cpusOf(client: ClientCost): number {
  return client.cpus ?? eventLoopsOf(client);
}

/** The clients' own cost: CPU adds up, wall time and event-loop delays take the worst. */
function mergedClient(results: readonly LoadResult[]): Pick<LoadResult, 'client'> {
  const clients = results.flatMap((r) => (r.client ? [r.client] : []));
  if (clients.length !== results.length) return {};
  const processes = clients.reduce((sum, c) => sum + (c.processes ?? 1), 0);
  const eventLoops = clients.reduce((sum, c) => sum + eventLoopsOf(c), 0);
  const cpus = clients.some((c) => c.cpus !== undefined) ? clients.reduce((sum, c) => sum + cpusOf(c), 0) : undefined;
  return {
    client: {
      cpuSeconds: clients.reduce((sum, c) => sum + c.cpuSeconds, 0),
      wallSeconds: Math.max(...clients.map((c) => c.wallSeconds)),
      eventLoopDelayP99Ms: Math.max(...clients.map((c) => c.eventLoopDelayP99Ms)),
      eventLoopDelayMaxMs: Math.max(...clients.map((c) => c.eventLoopDelayMaxMs)),
      processes,
      ...(eventLoops !== processes ? { eventLoops } : {}),
      ...(cpus !== undefined ? { cpus } : {}),
    },
  };
}

/**
 * What the shards were told, as one load: users, an in-flight cap and a closed pool add up (each
 * shard had its share); everything else must agree.
 */
function mergedOptions(shards: readonly Shard[]): LoadResult['options'] {
  const {
    maxActive: cap,
    connections: pool,
    users: _users,
    ...shared
  } = common(shards, 'load options', (r) => ({
    ...r.options,
    users: 0,
    ...(r.options.maxActive !== undefined ? { maxActive: 0 } : {}),
    ...(r.options.connections !== undefined ? { connections: 0 } : {}),
  }));
  const options: LoadResult['options'] = { users: total(shards, (r) => r.options.users), ...shared };
  if (cap !== undefined) options.maxActive = total(shards, (r) => r.options.maxActive!);
  if (pool !== undefined) options.connections = total(shards, (r) => r.options.connections!);
  return options;
}

export function mergeLoadResults(shards: readonly Shard[]): LoadResult {
  if (shards.length === 0) refuse('no result shards to merge');
  const variant = common(shards, 'variants', (r) => r.variant);
  const target = common(shards, 'targets', (r) => r.target);
  const options = mergedOptions(shards);
  assertDistinctRuns(shards);

  const results = shards.map((s) => s.result);
  const startMs = Math.min(...results.map((r) => Date.parse(r.startedAt)));
  const endMs = Math.max(...results.map((r) => Date.parse(r.startedAt) + r.durationSeconds * MS_PER_SECOND));
  const anyPushedOut = results.some((r) => r.posts.pushedOut !== undefined);
  const meta = mergedMeta(results.map((r) => r.meta));

  return {
    target,
    variant,
    startedAt: new Date(startMs).toISOString(),
    // From the first shard's start to the last one's end; with a common start time that is the longest shard.
    durationSeconds: Math.round(endMs - startMs) / MS_PER_SECOND,
    options,
    users: {
      scheduled: total(shards, (r) => r.users.scheduled),
      ok: total(shards, (r) => r.users.ok),
      failed: total(shards, (r) => r.users.failed),
      notStarted: total(shards, (r) => r.users.notStarted),
      ...(results.some((r) => r.users.dropped !== undefined)
        ? { dropped: total(shards, (r) => r.users.dropped ?? 0), waited: total(shards, (r) => r.users.waited ?? 0) }
        : {}),
      // Each shard's peak came at its own moment: their sum bounds the merged peak from above.
      ...(results.some((r) => r.users.peakInFlight !== undefined) ? { peakInFlight: total(shards, (r) => r.users.peakInFlight ?? 0) } : {}),
    },
    errors: addCounts(results.map((r) => r.errors)),
    ...(results.some((r) => r.errorOrigins) ? { errorOrigins: addCounts(results.map((r) => r.errorOrigins ?? {})) } : {}),
    sessionTimeUs: mergedSummary(results.map((r) => r.sessionTimeUs)),
    stepTimeUs: Object.fromEntries(STEPS.map((step) => [step, mergedSummary(results.map((r) => r.stepTimeUs[step]))])) as Record<StepName, TimeSummary>,
    ...(results.every((r) => r.serviceTimeUs)
      ? {
          serviceTimeUs: Object.fromEntries(STEPS.map((step) => [step, mergedSummary(results.map((r) => r.serviceTimeUs![step]))])) as Record<
            StepName,
            TimeSummary
          >,
        }
      : {}),
    latenessUs: mergedSummary(results.map((r) => r.latenessUs)),
    requests: { total: total(shards, (r) => r.requests.total), byStatus: addCounts(results.map((r) => r.requests.byStatus)) },
    posts: {
      accepted: total(shards, (r) => r.posts.accepted),
      indeterminate: total(shards, (r) => r.posts.indeterminate),
      ...(anyPushedOut ? { pushedOut: total(shards, (r) => r.posts.pushedOut ?? 0) } : {}),
      acceptedMarkers: results.flatMap((r) => r.posts.acceptedMarkers),
    },
    backends: addCounts(results.map((r) => r.backends)),
    workers: addCounts(results.map((r) => r.workers)),
    timeline: mergedTimeline(shards, startMs),
    markerTags: {
      measured: [...new Set(results.flatMap((r) => r.markerTags?.measured ?? []))],
      warmup: [...new Set(results.flatMap((r) => r.markerTags?.warmup ?? []))],
    },
    ...mergedClient(results),
    ...(meta !== undefined ? { meta } : {}),
  };
}
