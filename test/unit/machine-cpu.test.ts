import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { busiestOthers, cpuOfBetween, cpuUseBetween, readMachineCpu, type ProcessCpu } from '../../lab/stack/machine-cpu.js';

const proc = (name: string, startTicks: number, seconds: number, childSeconds = 0): ProcessCpu => ({
  name,
  startTicks,
  ns: seconds * 1e9,
  childNs: childSeconds * 1e9,
});

describe('cpuUseBetween', () => {
  it("counts each process's own time and its reaped children's between the readings, busiest first", () => {
    const before = new Map([
      [1, proc('init', 1, 5, 20)],
      [83, proc('kdamond.0', 2, 100)],
      [500, proc('lab', 300, 7)],
    ]);
    const after = new Map([
      [1, proc('init', 1, 5.01, 20.25)],
      [83, proc('kdamond.0', 2, 100.4)],
      [500, proc('lab', 300, 9)],
    ]);
    const used = cpuUseBetween(before, after, new Set([500])).map((p) => ({ ...p, cpuSeconds: Math.round(p.cpuSeconds * 1000) / 1000 }));
    assert.deepEqual(used, [
      { pid: 83, name: 'kdamond.0', cpuSeconds: 0.4 },
      { pid: 1, name: 'init', cpuSeconds: 0.26 },
    ]);
  });

  it('keeps a kernel worker whose name changed, and starts over for a pid another process reused', () => {
    const before = new Map([
      [35, proc('kworker/u8:1-events', 4, 50)],
      [700, proc('sh', 900, 3)],
    ]);
    const after = new Map([
      [35, proc('kworker/u8:1-kvfree_rcu_reclaim', 4, 50.02)],
      [700, proc('sh', 950, 0.3)],
    ]);
    const used = Object.fromEntries(cpuUseBetween(before, after, new Set()).map((p) => [p.pid, Math.round(p.cpuSeconds * 1000) / 1000]));
    assert.deepEqual(used, { 35: 0.02, 700: 0.3 });
  });

  it('never counts below nothing when threads ended between the readings', () => {
    const before = new Map([[10, proc('app', 5, 4)]]);
    const after = new Map([[10, proc('app', 5, 3.5)]]);
    assert.deepEqual(cpuUseBetween(before, after, new Set()), []);
    assert.equal(cpuOfBetween(before, after, [10]), 0);
  });

  it('adds up the given processes once each', () => {
    const before = new Map([
      [10, proc('app', 5, 4)],
      [11, proc('nginx', 6, 1)],
    ]);
    const after = new Map([
      [10, proc('app', 5, 6)],
      [11, proc('nginx', 6, 1.5)],
      [12, proc('worker', 7, 0.25)],
    ]);
    assert.equal(cpuOfBetween(before, after, [10, 11, 12, 10, 99]), 2.75);
  });
});

describe('readMachineCpu', () => {
  it("lets the event loop run while it reads (the lab's warm-up load runs in the same loop)", async () => {
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const read = await readMachineCpu(0);
    assert.ok(read.size > 0);
    assert.ok(turned, 'a callback queued before the reading ran before it ended');
  });

  it('names a busy process outside the lab, and a parent for the short-lived command it waited for', async () => {
    // A shell that runs a 400-ms busy loop as its child, waits for it, then sleeps: read while it sleeps,
    // the loop has ended, and its time is the shell's reaped children's.
    const spin = `const end = Date.now() + 400; while (Date.now() < end);`;
    const before = await readMachineCpu();
    const shell = spawn('sh', ['-c', `"${process.execPath}" -e '${spin}'; echo spun; sleep 5`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await once(shell.stdout!, 'data');
      await sleep(50);
      const after = await readMachineCpu();
      const others = busiestOthers(before, after, new Set([process.pid]), 50);
      const sh = others.find((p) => p.pid === shell.pid);
      assert.ok(sh, `the shell is named among ${JSON.stringify(others)}`);
      assert.ok(sh.cpuSeconds >= 0.3, `the shell carries its child's busy loop: ${sh.cpuSeconds} s`);
      assert.equal(sh.name, 'sh');
      assert.match(sh.cpus ?? '', /^\d/);
      assert.ok(!others.some((p) => p.pid === process.pid), 'the excluded process is not named');
    } finally {
      shell.kill('SIGKILL');
    }
  });
});
