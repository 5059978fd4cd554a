import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMsBySecond, startCpuTimeline } from '../../lab/stack/cpu-timeline.js';

describe('cpuMsBySecond', () => {
  it("cuts cumulative readings at each second's boundary, interpolating between the readings around it", () => {
    // 100 ms of CPU per second for the first second, 300 for the second, read at uneven times.
    const readings = [
      { atMs: 1000, cpuNs: 0 },
      { atMs: 1500, cpuNs: 50e6 },
      { atMs: 2250, cpuNs: 175e6 },
      { atMs: 3000, cpuNs: 400e6 },
    ];
    // At 2000 ms: between 50e6 (1500) and 175e6 (2250), two thirds of the way: 133.3e6.
    assert.deepEqual(cpuMsBySecond(readings, 1000), [133.333, 266.667]);
  });

  it('leaves out a second the readings do not cover at either end', () => {
    const readings = [
      { atMs: 1100, cpuNs: 0 },
      { atMs: 2100, cpuNs: 1e8 },
      { atMs: 3050, cpuNs: 2e8 },
    ];
    assert.deepEqual(cpuMsBySecond(readings, 1000), [], 'the first reading came after the origin');
    assert.deepEqual(cpuMsBySecond(readings, 1100), [100], 'the second second ends after the last reading');
    assert.deepEqual(cpuMsBySecond([], 0), []);
  });
});

describe('startCpuTimeline', () => {
  it('reads the given counter while it runs and gives the CPU of each whole second since the origin', async () => {
    // A counter that grows 1 ms of CPU per ms of wall time: every whole second reads about 1000 ms.
    const origin = Date.now();
    const timeline = startCpuTimeline(() => (Date.now() - origin) * 1e6, origin, 50);
    await sleep(2150);
    const seconds = timeline.stop();
    assert.equal(seconds.length, 2);
    // Each reading takes the clock twice (its time, then the counter): a busy machine puts a few ms between them.
    for (const ms of seconds) assert.ok(Math.abs(ms - 1000) < 10, `${ms} ms`);
    assert.deepEqual(timeline.stop(), seconds, 'a second stop returns the same figures');
  });
});
