// run.json for a results folder filled by `benchlab merge`: each merged variant adds what its clients
// recorded (load options, shard count, --meta such as the containers' limits) to the folder's run.
import { mergedMeta } from '../client/merge-results.js';
import type { LoadResult } from '../common/result.js';
import type { RunEnvironment, RunInfo } from '../report/run-info.js';

export interface MergedVariantInfo {
  target: string;
  shards: number;
  users: number;
  rampSeconds: number;
  timeoutMs: number;
  arrival: string;
  meta?: Record<string, string>;
}

const MS_PER_SECOND = 1_000;

function mergedVariants(existing: RunInfo | undefined): Record<string, MergedVariantInfo> {
  const variants = existing?.options['merged'];
  return typeof variants === 'object' && variants !== null ? { ...(variants as Record<string, MergedVariantInfo>) } : {};
}

function earliest(a: string, b: string): string {
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

function latest(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

export function mergedRunInfo(existing: RunInfo | undefined, result: LoadResult, shards: number, environment: RunEnvironment, label: string): RunInfo {
  const finishedAt = new Date(Date.parse(result.startedAt) + result.durationSeconds * MS_PER_SECOND).toISOString();
  const merged = mergedVariants(existing);
  merged[result.variant] = {
    target: result.target,
    shards,
    users: result.options.users,
    rampSeconds: result.options.rampSeconds,
    timeoutMs: result.options.timeoutMs,
    arrival: result.options.arrival,
    ...(result.meta !== undefined ? { meta: result.meta } : {}),
  };
  const meta = mergedMeta(Object.values(merged).map((v) => v.meta));
  return {
    label: existing?.label ?? label,
    startedAt: existing ? earliest(existing.startedAt, result.startedAt) : result.startedAt,
    finishedAt: existing ? latest(existing.finishedAt, finishedAt) : finishedAt,
    options: { ...existing?.options, source: 'benchlab merge of client shards', ...(meta !== undefined ? { meta } : {}), merged },
    environment,
    variants: existing?.variants.includes(result.variant) ? existing.variants : [...(existing?.variants ?? []), result.variant],
  };
}
