// Variant results with real encoded histograms, for report, chart and comparison tests.
import type { ResourceSummary, TimeSummary, VariantResult } from '../../common/result.js';
import { newTimeHistogram, summarise } from '../../common/histogram.js';
import { integrityOf } from '../../common/integrity.js';
import type { RunInfo } from '../../report/run-info.js';

/** `count` user times with the given median: a long right tail grows with `tail` (0 = all equal). */
export function spreadMs(count: number, medianMs: number, tail = 0.6): number[] {
  return Array.from({ length: count }, (_, i) => {
    const q = (i + 0.5) / count;
    return medianMs * (0.5 / (1 - q)) ** tail;
  });
}

export function timesOf(valuesMs: readonly number[]): TimeSummary {
  const histogram = newTimeHistogram();
  for (const ms of valuesMs) histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  const summary = summarise(histogram);
  histogram.destroy();
  return summary;
}

function resources(cpuSeconds: number, rssPeakBytes: number): ResourceSummary {
  return { cpuSeconds, rssPeakBytes, rssMeanBytes: rssPeakBytes * 0.7, samples: 20, processes: 3 };
}

export interface FixtureSpec {
  variant?: string;
  users?: number;
  medianMs?: number;
  tail?: number;
  errors?: Record<string, number>;
  cpuSeconds?: number;
  rssPeakMb?: number;
  durationSeconds?: number;
  workers?: Record<string, number>;
  integrityOk?: boolean;
  withDatabase?: boolean;
}

export function variantResultFixture(spec: FixtureSpec = {}): VariantResult {
  const scheduled = spec.users ?? 400;
  const errors = spec.errors ?? {};
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  const ok = scheduled - failed;
  const medianMs = spec.medianMs ?? 40;
  const durationSeconds = spec.durationSeconds ?? 4;
  const seconds = Math.ceil(durationSeconds);
  const perSecond = (n: number, s: number) => Math.floor((n * (s + 1)) / seconds) - Math.floor((n * s) / seconds);
  const missing = spec.integrityOk === false ? 2 : 0;
  return {
    target: 'http://127.0.0.1:8080',
    variant: spec.variant ?? 'prefork',
    startedAt: '2025-03-01T14:05:00.000Z',
    durationSeconds,
    options: { users: scheduled, rampSeconds: durationSeconds, timeoutMs: 10_000, arrival: 'uniform' },
    users: { scheduled, ok, failed, notStarted: 0 },
    errors,
    sessionTimeUs: timesOf(spreadMs(ok, medianMs, spec.tail)),
    stepTimeUs: {
      get: timesOf(spreadMs(ok, medianMs * 0.3, spec.tail)),
      post: timesOf(spreadMs(ok, medianMs * 0.5, spec.tail)),
      redirect: timesOf(spreadMs(ok, medianMs * 0.2, spec.tail)),
    },
    latenessUs: timesOf(spreadMs(scheduled, 0.2, 0.3)),
    requests: { total: ok * 3 + failed, byStatus: { '200': ok * 2, '302': ok } },
    posts: { accepted: ok, indeterminate: 0, acceptedMarkers: [] },
    backends: { [spec.variant ?? 'prefork']: ok * 3 },
    workers: spec.workers ?? { '1001': ok, '1002': ok, '1003': ok - 5 },
    timeline: Array.from({ length: seconds }, (_, s) => ({
      second: s,
      arrivals: perSecond(scheduled, s),
      completions: perSecond(ok, s),
      errors: perSecond(failed, s),
    })),
    integrity: integrityOf({ accepted: ok, indeterminate: 0 }, failed, { rows: ok - missing, missing, duplicated: 0, unaccepted: 0, foreign: 0, warmup: 0 }),
    server: resources(spec.cpuSeconds ?? 2.5, (spec.rssPeakMb ?? 300) * 1e6),
    nginx: resources(0.4, 12e6),
    database: spec.withDatabase === true ? resources(1.1, 250e6) : null,
    setup: { startMs: 900, workers: 3, contractCheck: 'pass' },
  };
}

export function runInfoFixture(variants: readonly string[], options: Record<string, unknown> = { users: 400, rampSeconds: 4 }): RunInfo {
  return {
    label: variants.join('-'),
    startedAt: '2025-03-01T14:05:00.000Z',
    finishedAt: '2025-03-01T14:06:10.000Z',
    options,
    environment: {
      node: 'v20.20.2',
      nginx: '1.22.1',
      database: 'MariaDB 10.11.6',
      os: 'Linux 6.1',
      cpuModel: 'Example CPU @ 3.0GHz',
      cores: 2,
      gitCommit: 'abc1234',
      serverCpus: '0',
      clientCpus: '1',
      pinned: true,
    },
    variants: [...variants],
  };
}
