import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busySeconds, busyShare, parseCpuTicks } from '../../lab/stack/cpu-ticks.js';
import { clientCpusOthersOf } from '../../lab/stack/isolation.js';
import { isolationCaveats } from '../../report/isolation-section.js';
import type { VariantResult } from '../../common/result.js';

// /proc/stat lines: user nice system idle iowait irq softirq steal, in ticks of 1/100 s.
const stat = (cpu0: string, cpu1: string) => `cpu  0 0 0 0 0 0 0 0\ncpu0 ${cpu0}\ncpu1 ${cpu1}\n`;

describe('clientCpusOthersOf', () => {
  // cpu1 (the client's) over a 10-s window: 400 ticks user, 100 system, 50 irq + softirq, 450 idle: 5.5 s busy.
  const before = parseCpuTicks(stat('0 0 0 0 0 0 0 0', '100 0 100 100 0 10 20 0'), 1000);
  const after = parseCpuTicks(stat('900 0 100 0 0 0 0 0', '500 0 200 550 0 20 60 0'), 11_000);

  it("is the client CPUs' busy time less the client's, with the lab's own part", () => {
    const others = clientCpusOthersOf('1', before, after, 4, 0.8, 100);
    assert.equal(others.cpuSeconds, 1.5);
    assert.equal(others.percent, 15);
    assert.equal(others.labSeconds, 0.8);
  });

  it('leaves the lab unmeasured as null, and never counts more than the other work', () => {
    const others = clientCpusOthersOf('1', before, after, 5.4, undefined, 100);
    assert.equal(others.cpuSeconds, 0.1);
    assert.equal(others.labSeconds, null);
    assert.equal(clientCpusOthersOf('1', before, after, 5.4, 0.8, 100).labSeconds, 0.1);
  });

  it('takes busy time as the window less idle time, not the sampled busy fields', () => {
    // The busy fields grew by only 4.5 s (the tick missed a bursty client), idle by 4.5 s over 10 s:
    // busy was 5.5 s, and a client that used 5 s of it leaves 0.5 s of other work, not none.
    const sampled = parseCpuTicks(stat('0 0 0 0 0 0 0 0', '450 0 100 550 0 0 0 0'), 11_000);
    assert.deepEqual(busySeconds(before, sampled, 'cpu1', 100), { busy: 5.5, elapsed: 10 });
    assert.equal(busyShare(before, sampled, 'cpu1', 100), 0.55);
    const others = clientCpusOthersOf('1', before, sampled, 5, 0.3, 100);
    assert.equal(others.cpuSeconds, 0.5);
    assert.equal(others.percent, 5);
    assert.equal(others.labSeconds, 0.3);
  });

  it('has no busy time for a CPU missing from a reading or no time between them', () => {
    assert.equal(busySeconds(before, after, 'cpu7', 100), undefined);
    assert.equal(busySeconds(before, before, 'cpu1', 100), undefined);
  });
});

describe('isolationCaveats', () => {
  const result = (clientCpusOthers: unknown) =>
    ({ variant: 'prefork', isolation: { pinned: true, serverCpus: '0', clientCpus: '1', strays: [], clientCpusOthers } }) as unknown as VariantResult;

  it('says what the other work on the client CPUs was', () => {
    const [line] = isolationCaveats([result({ cpuSeconds: 1.5, percent: 15, labSeconds: 0.8 })]);
    assert.equal(line, "prefork: other work used 15% of the client CPUs during the window (1.50 s: the lab's own process 0.80 s, other work 0.70 s).");
  });

  it('keeps to the total for results that did not split it, and is quiet below 5%', () => {
    assert.deepEqual(isolationCaveats([result({ cpuSeconds: 1.5, percent: 15 })]), [
      'prefork: other work used 15% of the client CPUs during the window (1.50 s).',
    ]);
    assert.deepEqual(isolationCaveats([result({ cpuSeconds: 0.3, percent: 3, labSeconds: 0.1 })]), []);
  });
});
