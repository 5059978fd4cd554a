import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../common/errors.js';
import { processTree, startSampler } from '../../lab/stack/sampler.js';
import { startProcess, stopAll, waitFor } from '../../lab/stack/service.js';
import { isRunning } from '../support/live-process.js';

// A parent that starts `children` busy-looping children in its own process group, then idles.
const busyFamily = (children: number) => `
  const { spawn } = require('node:child_process');
  for (let i = 0; i < ${children}; i++) spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  setInterval(() => {}, 1000);
`;

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of a process from /proc, fields 14 and 15 after the command name. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-test-sampler-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the sampler measures CPU and memory of a whole process tree', async (t) => {
  const family = await startProcess({ name: 'busy', command: process.execPath, args: ['-e', busyFamily(2)] });
  t.after(() => family.stop());
  await waitFor(async () => processTree([family.pid]).length === 3, { timeoutMs: 5000, intervalMs: 20, what: 'two busy children', process: family });

  const pids = processTree([family.pid]);
  const before = pids.map(cpuTicks);
  const sampler = startSampler(
    {
      busy: () => [family.pid],
      nothing: () => [],
      broken: () => {
        throw new Error('not up');
      },
    },
    50,
  );
  await sleep(600);
  const summary = sampler.stop();
  const after = pids.map(cpuTicks);

  const busy = summary['busy']!;
  // What the kernel says the three used meanwhile (utime + stime, read here without the sampler's code);
  // on a busy machine that may be little, so the sampler is held to it, not to the wall clock.
  const used = after.reduce((sum, ticks, i) => sum + ticks - before[i]!, 0) / CLOCK_TICKS;
  assert.ok(used > 0.05, `the busy loops ran (${used} CPU seconds)`);
  assert.ok(Math.abs(busy.cpuSeconds - used) <= 0.1 + used * 0.25, `the sampler saw ${busy.cpuSeconds} CPU seconds, the kernel counted ${used}`);
  assert.ok(busy.cpuSeconds < 0.6 * os.availableParallelism() + 0.2, `no more than the window allows: ${busy.cpuSeconds}`);
  assert.ok(busy.rssPeakBytes > 10 * 1024 * 1024, `three node processes hold more than 10 MB: ${busy.rssPeakBytes}`);
  assert.ok(busy.rssMeanBytes > 0 && busy.rssMeanBytes <= busy.rssPeakBytes);
  assert.equal(busy.processes, 3);
  assert.ok(busy.samples >= 5, `${busy.samples} samples`);
  assert.deepEqual(summary['nothing'], { cpuSeconds: 0, rssPeakBytes: 0, rssMeanBytes: 0, samples: 0, processes: 0 });
  assert.equal(summary['broken']!.samples, 0);
  assert.deepEqual(sampler.stop(), summary, 'stop() twice gives the same summary');

  await family.stop();
  assert.deepEqual(pids.filter(isRunning), [], 'stopping the leader stops its whole process group');
});

test('the sampler counts all CPU of a process born during the window', async (t) => {
  const sampler = startSampler({ late: () => (late === undefined ? [] : [late]) }, 50);
  let late: number | undefined;
  await sleep(100);
  const child = await startProcess({ name: 'late', command: process.execPath, args: ['-e', 'while (process.cpuUsage().user < 400_000) {}'] });
  // It spins until it has used 0.4 s of CPU, however long a busy machine takes to give it that.
  t.after(() => child.stop());
  late = child.pid;
  await child.exited;
  const { late: summary } = sampler.stop();
  // The child exited before the last sample; its last reading still counts.
  assert.ok(summary!.cpuSeconds >= 0.2, `${summary!.cpuSeconds} CPU seconds`);
  assert.equal(summary!.processes, 1);
});

test('stop() sends SIGKILL when SIGTERM is ignored, and is safe to call twice', async (t) => {
  const ready = path.join(tempDir(t), 'ready');
  const stubborn = await startProcess({
    name: 'stubborn',
    command: process.execPath,
    args: ['-e', `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); require('node:fs').writeFileSync(${JSON.stringify(ready)}, 'up')`],
  });
  // Only once it ignores SIGTERM does the test mean anything.
  await waitFor(async () => fs.existsSync(ready), { timeoutMs: 10_000, intervalMs: 20, what: 'the handler installed', process: stubborn });
  const started = Date.now();
  await Promise.all([stubborn.stop(300), stubborn.stop(300)]);
  assert.equal((await stubborn.exited).signal, 'SIGKILL');
  assert.ok(Date.now() - started >= 250);
  await stubborn.stop();
});

test('startProcess runs a command through taskset when given CPUs', async (t) => {
  const pinned = await startProcess({ name: 'pinned', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cpus: '0' });
  t.after(() => pinned.stop());
  await waitFor(async () => fs.readFileSync(`/proc/${pinned.pid}/cmdline`, 'utf8').startsWith(process.execPath), {
    timeoutMs: 2000,
    intervalMs: 10,
    what: 'taskset to exec node',
  });
  assert.match(fs.readFileSync(`/proc/${pinned.pid}/status`, 'utf8'), /^Cpus_allowed_list:\s+0$/m);
});

test('waitFor gives up early, with the log tail, when the process exits', async (t) => {
  const logFile = path.join(tempDir(t), 'failing.log');
  const failing = await startProcess({
    name: 'failing',
    command: process.execPath,
    args: ['-e', "console.log('starting'); console.error('fatal: no config'); process.exit(3)"],
    logFile,
  });
  const started = Date.now();
  await assert.rejects(
    waitFor(async () => false, { timeoutMs: 10_000, intervalMs: 50, what: 'failing service', process: failing }),
    (error: unknown) => {
      assert.ok(error instanceof LabError);
      assert.equal(error.code, 'BL_ERR_START');
      assert.equal(error.message, 'failing service exited (code 3) before it became ready: starting | fatal: no config');
      return true;
    },
  );
  assert.ok(Date.now() - started < 2000);
});

test('waitFor reports a timeout in one line', async () => {
  await assert.rejects(
    waitFor(async () => false, { timeoutMs: 150, intervalMs: 20, what: 'nothing' }),
    { name: 'LabError', code: 'BL_ERR_START', message: 'nothing did not become ready within 150 ms' },
  );
});

test('stopAll stops every live service', async () => {
  const first = await startProcess({ name: 'first', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] });
  const second = await startProcess({ name: 'second', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] });
  await stopAll();
  assert.ok(first.hasExited() && second.hasExited());
});

test('a missing command is a LabError naming it', async () => {
  await assert.rejects(startProcess({ name: 'ghost', command: '/nonexistent/ghost-server', args: [] }), {
    name: 'LabError',
    code: 'BL_ERR_MISSING_TOOL',
    message: /ghost-server not found/,
  });
});
