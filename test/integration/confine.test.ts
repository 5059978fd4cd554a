import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { confineTree, cpuSet, cpuUnion, strayProcesses } from '../../lab/stack/confine.js';
import { processTree } from '../../lab/stack/sampler.js';
import { startVariantStack } from '../support/variant-stack.js';
import { TEST_DATABASE_URL, testDatabase } from '../support/test-database.js';

// The server's CPU and a wider set to start on; on a one-CPU machine both are CPU 0.
const SERVER = '0';
const WIDE = os.availableParallelism() > 1 ? '0,1' : '0';

function allowedLists(root: number): string[] {
  const lists: string[] = [];
  for (const pid of processTree([root])) {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      lists.push(/^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]!);
    }
  }
  return lists;
}

test('CPU lists parse and join', () => {
  assert.deepEqual(cpuSet('0-2,5'), [0, 1, 2, 5]);
  assert.deepEqual(cpuSet('3,1,1'), [1, 3]);
  assert.equal(cpuUnion('0', '1'), '0,1');
  assert.equal(cpuUnion('2,3', '0-1'), '0,1,2,3');
  assert.throws(() => cpuSet('0;1'), /not a CPU list/);
});

test('every thread of a process tree is confined, and what it starts later inherits the mask', { timeout: 30_000 }, async () => {
  // A parent with worker threads, a child process with its own, and a thread started only later.
  const script = `
    const { Worker } = require('node:worker_threads');
    const { spawn } = require('node:child_process');
    new Worker('setInterval(() => {}, 1000)', { eval: true });
    spawn(process.execPath, ['-e', "new (require('node:worker_threads').Worker)('setInterval(() => {}, 1000)', { eval: true }); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
    process.stdin.once('data', () => { new Worker('setInterval(() => {}, 1000)', { eval: true }); setTimeout(() => console.log('later'), 300); });
    setTimeout(() => console.log('ready'), 500);
  `;
  const root = spawn('taskset', ['-c', WIDE, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines = root.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) => lines.once('data', () => resolve()));
    assert.equal(processTree([root.pid!]).length, 2);
    if (WIDE !== SERVER) assert.ok(strayProcesses(processTree([root.pid!]), SERVER).length > 0, 'started wide');
    await confineTree(root.pid!, SERVER, 'the test tree');
    assert.deepEqual(strayProcesses(processTree([root.pid!]), SERVER), []);
    root.stdin.write('go\n');
    await new Promise<void>((resolve) => lines.once('data', () => resolve()));
    const lists = allowedLists(root.pid!);
    assert.ok(lists.length >= 8, `${lists.length} threads seen`);
    assert.deepEqual([...new Set(lists)], [SERVER]);
  } finally {
    for (const pid of processTree([root.pid!]).reverse()) process.kill(pid, 'SIGKILL');
  }
});

test('a variant started on the wider set runs only on the server CPUs once it is up', { timeout: 60_000 }, async () => {
  const database = await testDatabase();
  await database.ensureSchema();
  const stack = await startVariantStack('http-prefork-fastify', TEST_DATABASE_URL, { serverCpus: SERVER, startCpus: WIDE }).catch(async (error: unknown) => {
    await database.stop();
    throw error;
  });
  try {
    assert.equal(processTree([stack.app.pid]).length, 1 + 2, 'the primary and its two workers');
    assert.deepEqual([...new Set(allowedLists(stack.app.pid))], [SERVER]);
    const res = await fetch(`${stack.url}/`);
    assert.equal(res.status, 200);
    await res.text();
  } finally {
    await stack.stop();
    await database.stop();
  }
});

test("the machine's own database server is confined to the server CPUs for a run, and gets its CPUs back", { timeout: 60_000 }, async (t) => {
  if (os.availableParallelism() < 2) return t.diagnostic('one CPU: nothing to confine to');
  const { openDatabase } = await import('../../lab/run.js');
  const { runOptionsFrom } = await import('../../lab/run-options.js');
  const options = runOptionsFrom({ database: TEST_DATABASE_URL, serverCpus: '0', clientCpus: '1' }, {}, os.availableParallelism());
  const database = await openDatabase(options, () => undefined);
  const [server] = database.pids();
  assert.ok(server !== undefined, "the test database is the machine's own server on loopback");
  const threads = (pid: number) =>
    fs.readdirSync(`/proc/${pid}/task`).map((tid) => /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]!);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await database.stop();
  });
  try {
    // New connections start new server threads: they must inherit the confinement.
    await database.countRows();
    assert.deepEqual([...new Set(threads(server))], ['0'], 'every thread of the server on CPU 0 while the run holds it');
    assert.deepEqual(strayProcesses([server], '0'), []);
  } finally {
    await database.stop();
    stopped = true;
  }
  assert.ok(
    threads(server).every((list) => list !== '0'),
    'its threads have their own CPUs again',
  );
  assert.deepEqual(strayProcesses([server], '0'), [server], 'no longer confined to CPU 0');
});
