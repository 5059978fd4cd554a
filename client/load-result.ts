// Turns a finished run's tally into the result file's shape (client/result.ts).
import { summarise } from '../common/histogram.js';
import type { LoadOptions } from './load-options.js';
import type { LoadTally } from './load-tally.js';
import type { LoadResult } from '../common/result.js';

export interface RunFacts {
  startedAt: Date;
  durationSeconds: number;
  scheduled: number;
}

export function loadResult(options: LoadOptions, tally: LoadTally, facts: RunFacts): LoadResult {
  return {
    target: options.target,
    variant: options.variant ?? options.target,
    startedAt: facts.startedAt.toISOString(),
    durationSeconds: facts.durationSeconds,
    options: {
      users: options.users,
      rampSeconds: options.rampSeconds,
      timeoutMs: options.timeoutMs,
      arrival: options.arrival,
      ...(options.maxActive !== undefined ? { maxActive: options.maxActive, onSaturation: options.onSaturation ?? 'wait' } : {}),
      ...(options.closed ? { mode: 'closed' as const, connections: options.closed.connections, durationSeconds: options.closed.durationSeconds } : {}),
    },
    users: {
      scheduled: facts.scheduled,
      ok: tally.ok,
      failed: tally.failed,
      // Dropped users never started either, but they are failed users, not missing ones.
      notStarted: facts.scheduled - tally.started - tally.dropped,
      // The cap's counters only mean something when there is a cap.
      ...(options.maxActive !== undefined ? { dropped: tally.dropped, waited: tally.waited } : {}),
      peakInFlight: tally.peakInFlight,
    },
    errors: Object.fromEntries(tally.errors),
    errorOrigins: Object.fromEntries(tally.origins),
    sessionTimeUs: summarise(tally.userTime),
    stepTimeUs: {
      get: summarise(tally.stepTime.get),
      post: summarise(tally.stepTime.post),
      redirect: summarise(tally.stepTime.redirect),
    },
    serviceTimeUs: {
      get: summarise(tally.serviceTime.get),
      post: summarise(tally.serviceTime.post),
      redirect: summarise(tally.serviceTime.redirect),
    },
    latenessUs: summarise(tally.lateness),
    requests: { total: tally.requests, byStatus: tally.byStatus() },
    posts: {
      accepted: tally.postsAccepted,
      indeterminate: tally.postsIndeterminate,
      pushedOut: tally.postsPushedOut,
      acceptedMarkers: tally.acceptedMarkers,
    },
    backends: Object.fromEntries(tally.backends),
    workers: Object.fromEntries(tally.workers),
    timeline: tally.timeline(),
    markerTags: { measured: options.runTag === undefined ? [] : [options.runTag], warmup: [] },
  };
}
