import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busyShare, parseCpuTicks, stolenMs } from '../../lab/stack/cpu-ticks.js';

const stat = (cpu0: string, cpu1: string) => `cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 ${cpu0}\ncpu1 ${cpu1}\nintr 123 4 5\nctxt 99\n`;

describe('parseCpuTicks', () => {
  it('reads each CPU, counting idle and iowait as not busy and guest time once', () => {
    const ticks = parseCpuTicks(stat('10 0 5 80 5 0 0 0 7 0', '1 1 1 1 1 1 1 1 0 0'), 42);
    assert.deepEqual(ticks.get('cpu0'), { busy: 15, total: 100, idle: 85, steal: 0, atMs: 42 });
    assert.deepEqual(ticks.get('cpu1'), { busy: 6, total: 8, idle: 2, steal: 1, atMs: 42 });
    assert.equal(ticks.has('cpu'), false);
  });
});

describe('busyShare', () => {
  it('is the time between two readings less the idle time, as a share of that time', () => {
    const before = parseCpuTicks(stat('10 0 0 90 0 0 0 0', '0 0 0 100 0 0 0 0'), 0);
    const after = parseCpuTicks(stat('40 0 10 150 0 0 0 0', '0 0 0 200 0 0 0 0'), 1000);
    assert.equal(busyShare(before, after, 'cpu0', 100), 0.4);
    assert.equal(busyShare(before, after, 'cpu1', 100), 0);
  });

  it('has no answer for a CPU it did not see or no time passing', () => {
    const ticks = parseCpuTicks(stat('1 0 0 1 0 0 0 0', '1 0 0 1 0 0 0 0'), 5);
    assert.equal(busyShare(ticks, ticks, 'cpu0', 100), undefined);
    assert.equal(busyShare(ticks, parseCpuTicks(stat('1 0 0 1 0 0 0 0', '1 0 0 1 0 0 0 0'), 9), 'cpu7', 100), undefined);
  });
});

describe('stolenMs', () => {
  it("is the eighth field's growth, in milliseconds of the kernel's clock ticks", () => {
    const before = parseCpuTicks(stat('10 0 0 90 0 0 0 2 0 0', '0 0 0 100 0 0 0 0'));
    const after = parseCpuTicks(stat('40 0 10 150 0 0 0 5 0 0', '0 0 0 200 0 0 0 0'));
    assert.equal(stolenMs(before, after, 'cpu0', 100), 30);
    assert.equal(stolenMs(before, after, 'cpu1', 100), 0);
    assert.equal(stolenMs(before, after, 'cpu7', 100), undefined);
  });
});
