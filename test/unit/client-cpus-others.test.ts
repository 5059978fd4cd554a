import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCpuTicks } from '../../lab/stack/cpu-ticks.js';
import { clientCpusOthersOf } from '../../lab/stack/isolation.js';
import { isolationCaveats } from '../../report/isolation-section.js';
import type { VariantResult } from '../../common/result.js';

// /proc/stat lines: user nice system idle iowait irq softirq steal, in ticks of 1/100 s.
const stat = (cpu0: string, cpu1: string) => `cpu  0 0 0 0 0 0 0 0\ncpu0 ${cpu0}\ncpu1 ${cpu1}\n`;

describe('clientCpusOthersOf', () => {
  // cpu1 (the client's) over the window: 400 ticks user, 100 system, 50 irq + softirq, 450 idle: 10 s, 5.5 s busy.
  const before = parseCpuTicks(stat('0 0 0 0 0 0 0 0', '100 0 100 100 0 10 20 0'));
  const after = parseCpuTicks(stat('900 0 100 0 0 0 0 0', '500 0 200 550 0 20 60 0'));

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
