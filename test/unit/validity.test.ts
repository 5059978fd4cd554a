import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientValidity, peakValidity } from '../../lab/validity.js';
import type { LoadResult, PeakResult } from '../../common/result.js';

const result = (cpuSeconds: number, wallSeconds: number, latenessP99Us: number, processes = 1, p50Us = 10_000) =>
  ({
    client: { cpuSeconds, wallSeconds, eventLoopDelayP99Ms: 1, eventLoopDelayMaxMs: 2, processes },
    latenessUs: { count: 10, p99: latenessP99Us },
    sessionTimeUs: { count: 10, p50: p50Us },
  }) as unknown as LoadResult;

test('a client that kept up is valid', () => {
  assert.deepEqual(clientValidity(result(5, 10, 3000), 20), { valid: true, reasons: [] });
});

test('a client over 80% CPU flags the run invalid, counted per process', () => {
  const busy = clientValidity(result(9, 10, 3000), 20);
  assert.equal(busy.valid, false);
  assert.match(busy.reasons[0]!, /client CPU at 90% .*over 80%/);
  assert.equal(clientValidity(result(9, 10, 3000, 2), 20).valid, true, '9 s over 2 processes × 10 s is 45%');
});

test('a process with several event loops is counted per loop', () => {
  const loops = {
    client: { cpuSeconds: 18, wallSeconds: 10, eventLoopDelayP99Ms: 1, eventLoopDelayMaxMs: 2, processes: 1, eventLoops: 2 },
    latenessUs: { count: 10, p99: 3000 },
    sessionTimeUs: { count: 10, p50: 10_000 },
  };
  const busy = clientValidity(loops as unknown as LoadResult, 20);
  assert.equal(busy.valid, false, '18 s over 2 loops × 10 s is 90%');
  assert.match(busy.reasons[0]!, /client CPU at 90% of its event loops' time/);
  assert.equal(clientValidity({ ...loops, client: { ...loops.client, eventLoops: 4 } } as unknown as LoadResult, 20).valid, true);
});

test('event loops that share fewer CPUs are counted per CPU: four loops saturating one CPU are flagged', () => {
  const shared = {
    client: { cpuSeconds: 9.5, wallSeconds: 10, eventLoopDelayP99Ms: 1, eventLoopDelayMaxMs: 2, processes: 1, eventLoops: 4, cpus: 1 },
    latenessUs: { count: 10, p99: 3000 },
    sessionTimeUs: { count: 10, p50: 10_000 },
  };
  const busy = clientValidity(shared as unknown as LoadResult, 20);
  assert.equal(busy.valid, false);
  assert.match(busy.reasons[0]!, /client CPU at 95% of its 1 CPU time/);
});

test('lateness p99 over the bound and over 5% of the user-time p50 flags the run invalid', () => {
  const late = clientValidity(result(1, 10, 45_000), 20);
  assert.equal(late.valid, false);
  assert.match(late.reasons[0]!, /lateness p99 45\.0 ms \(450% of the user-time p50 of 10\.0 ms\), over 20\.0 ms/);
});

test('lateness that is a small part of the user times does not flag the run', () => {
  // 23 ms late on a 9 s median changes no conclusion.
  assert.deepEqual(clientValidity(result(1, 10, 23_000, 1, 9_000_000), 5), { valid: true, reasons: [] });
  // 23 ms on a 200 ms median is over 5% of it.
  assert.equal(clientValidity(result(1, 10, 23_000, 1, 200_000), 5).valid, false);
  // Below the bound, never.
  assert.equal(clientValidity(result(1, 10, 4_000, 1, 1_000), 5).valid, true);
});

test('a GET / peak whose client used over 80% of its CPU is flagged', () => {
  const peak = (cpuSeconds: number) => ({ client: { cpuSeconds, wallSeconds: 6 } }) as unknown as PeakResult;
  assert.deepEqual(peakValidity(peak(3)), { valid: true, reasons: [] });
  const busy = peakValidity(peak(5.7));
  assert.equal(busy.valid, false);
  assert.match(busy.reasons[0]!, /GET \/ peak's client CPU at 95% \(over 80%\)/);
});
