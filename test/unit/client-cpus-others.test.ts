import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busySeconds, busyShare, parseCpuTicks } from '../../lab/stack/cpu-ticks.js';
import { clientCpusOthersOf, serverCpusOthersOf } from '../../lab/stack/isolation.js';
import { isolationCaveats, otherProcessesText } from '../../report/isolation-section.js';
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

describe('serverCpusOthersOf', () => {
  // cpu0 (the server's) over a 10-s window: 900 ticks user, 100 idle: 9 s busy.
  const before = parseCpuTicks(stat('0 0 0 0 0 0 0 0', '0 0 0 0 0 0 0 0'), 1000);
  const after = parseCpuTicks(stat('850 0 50 100 0 0 0 0', '0 0 0 1000 0 0 0 0'), 11_000);

  it("is the server CPUs' busy time less the server side's own", () => {
    assert.deepEqual(serverCpusOthersOf('0', before, after, 8.2, 100), { cpuSeconds: 0.8, percent: 8 });
  });

  it('is never below nothing when the server side read more than the CPUs were busy', () => {
    assert.deepEqual(serverCpusOthersOf('0', before, after, 9.3, 100), { cpuSeconds: 0, percent: 0 });
  });
});

describe('otherProcessesText', () => {
  it('names each process with its seconds, and its CPUs only where it was held to fewer than the run used', () => {
    const text = otherProcessesText(
      [
        { name: 'kdamond.0', pid: 83, cpuSeconds: 0.232, cpus: '0-1' },
        { name: 'ksoftirqd/0', pid: 16, cpuSeconds: 0.05, cpus: '0' },
        { name: 'gone', pid: 9000, cpuSeconds: 0.02, cpus: null },
      ],
      ['0', '1'],
    );
    assert.equal(text, 'kdamond.0 0.23 s, ksoftirqd/0 0.05 s (CPU 0), gone 0.02 s');
  });
});

describe('isolationCaveats', () => {
  const result = (clientCpusOthers: unknown, more: object = {}) =>
    ({ variant: 'prefork', isolation: { pinned: true, serverCpus: '0', clientCpus: '1', strays: [], clientCpusOthers, ...more } }) as unknown as VariantResult;

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

describe('isolationCaveats on the server CPUs', () => {
  const result = (more: object) =>
    ({
      variant: 'fastcgi',
      isolation: { pinned: true, serverCpus: '0', clientCpus: '1', strays: [], clientCpusOthers: { cpuSeconds: 0.2, percent: 2, labSeconds: 0.1 }, ...more },
    }) as unknown as VariantResult;
  const named = { otherProcesses: [{ name: 'kdamond.0', pid: 83, cpuSeconds: 0.43, cpus: '0-1' }] };

  it('says how much of the server CPUs the server side did not have, and who had it', () => {
    assert.deepEqual(isolationCaveats([result({ serverCpusOthers: { cpuSeconds: 0.7, percent: 7 }, ...named })]), [
      'fastcgi: other work used 7% of the server CPUs during the window (0.70 s), which the server side did not have; outside the lab, the most CPU went to kdamond.0 0.43 s.',
    ]);
  });

  it('is quiet at 5% or less, and for results written before it was measured', () => {
    assert.deepEqual(isolationCaveats([result({ serverCpusOthers: { cpuSeconds: 0.5, percent: 5 }, ...named })]), []);
    assert.deepEqual(isolationCaveats([result({})]), []);
  });

  it('names the busiest processes in the client CPUs caveat too', () => {
    const [line] = isolationCaveats([
      {
        ...result(named),
        isolation: { ...result(named).isolation!, clientCpusOthers: { cpuSeconds: 0.9, percent: 9, labSeconds: 0.3 } },
      } as VariantResult,
    ]);
    assert.equal(
      line,
      "fastcgi: other work used 9% of the client CPUs during the window (0.90 s: the lab's own process 0.30 s, other work 0.60 s); outside the lab, the most CPU went to kdamond.0 0.43 s.",
    );
  });
});
