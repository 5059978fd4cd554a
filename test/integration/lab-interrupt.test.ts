import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { isolatedDatabaseUrl } from '../support/isolated-database.js';
import { TEST_DATABASE_URL, testDatabase } from '../support/test-database.js';
import { isLoopback, listeningSockets, portListening } from '../../lab/stack/listening-sockets.js';
import { killLeftovers, processesOf, startLab, until, type LabProcess } from '../support/lab-process.js';
import { runCli } from '../support/run-cli.js';
import type { VariantResult } from '../../common/result.js';

const DATABASE_URL = isolatedDatabaseUrl('interrupt');
const SHORT = ['--variants', 'prefork', '--workers', '2', '--users', '30', '--ramp', '2', '--warmup-users', '0'];

const tempDirs: string[] = [];
const labs: LabProcess[] = [];
after(() => {
  for (const lab of labs) killLeftovers(lab);
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempOut(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-interrupt-'));
  tempDirs.push(dir);
  return path.join(dir, name);
}

function lab(args: string[], name: string, env: NodeJS.ProcessEnv = {}): LabProcess {
  const started = startLab(args, tempOut(name), env);
  labs.push(started);
  return started;
}

/** Interrupts a run at a moment chosen by `when`, and checks that nothing of it is left behind. */
async function interruptAndCheck(run: LabProcess, when: () => boolean, phase: string): Promise<void> {
  await until(() => when() || run.child.exitCode !== null, 60_000, `the run reaches ${phase}`);
  assert.equal(run.child.exitCode, null, `the run was still going at ${phase}: ${run.stderr()}`);
  const running = processesOf(run).filter((p) => p.pid !== run.child.pid);
  assert.ok(running.length > 0, `${phase}: the run has started something`);
  const sockets = listeningSockets(running.map((p) => p.pid));
  for (const s of sockets) assert.ok(isLoopback(s.address), `${phase}: pid ${s.pid} listens on ${s.address}:${s.port}, not loopback`);
  const dataDirs = running.flatMap((p) => /--datadir=(\S+)/.exec(p.cmdline)?.[1] ?? []);

  run.child.kill('SIGINT');
  const exit = await run.exited;
  assert.equal(exit.code, 130, `${phase}: exit code (stderr: ${run.stderr()})`);
  assert.match(run.stderr(), /interrupted by SIGINT/);
  assert.doesNotMatch(run.stderr(), /\n\s+at /, 'no stack trace');
  await until(() => processesOf(run).length === 0, 10_000, `${phase}: every process of the run ends`).catch(() => undefined);
  assert.deepEqual(
    processesOf(run).map((p) => p.cmdline),
    [],
    `${phase}: no process is left`,
  );
  for (const s of sockets) assert.equal(portListening(s.port), false, `${phase}: port ${s.port} (was pid ${s.pid}) is closed`);
  for (const dir of dataDirs) assert.equal(fs.existsSync(dir), false, `${phase}: the private datadir ${dir} is removed`);
}

test('Ctrl-C while a variant starts leaves no process, port or temp dir', { timeout: 90_000 }, async () => {
  const run = lab([...SHORT, '--database', DATABASE_URL], 'start-up');
  await interruptAndCheck(run, () => processesOf(run).some((p) => / serve --variant /.test(p.cmdline)) && !/up in/.test(run.stderr()), 'start-up');
});

test('Ctrl-C during the warm-up leaves no process, port or temp dir', { timeout: 90_000 }, async () => {
  const run = lab([...SHORT, '--warmup-users', '400', '--database', DATABASE_URL], 'warm-up');
  const accessLog = path.join(run.outDir, 'logs', 'nginx-prefork', 'logs', 'access.log');
  // Verification and the contract check send well under 200 requests; the warm-up sends 1200.
  const lines = () => (fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8').split('\n').length : 0);
  await interruptAndCheck(run, () => lines() > 200 && !/users over/.test(run.stderr()), 'warm-up');
});

test('Ctrl-C while measuring, with a client of two event loops, leaves no process, port or temp dir', { timeout: 90_000 }, async () => {
  const run = lab([...SHORT, '--users', '400', '--ramp', '10', '--client-threads', '2', '--database', DATABASE_URL], 'measuring');
  await interruptAndCheck(run, () => /users over/.test(run.stderr()) && processesOf(run).some((p) => / load --target /.test(p.cmdline)), 'measuring');
});

test('Ctrl-C once the private database listens (on loopback) leaves no process, port or datadir', { timeout: 120_000 }, async () => {
  const run = lab([...SHORT, '--private-db'], 'private-db');
  // Not the bootstrap server of mariadb-install-db, which listens nowhere: the private server itself.
  const listening = () =>
    listeningSockets(
      processesOf(run)
        .filter((p) => /mariadbd|mysqld/.test(p.cmdline))
        .map((p) => p.pid),
    ).length > 0;
  await interruptAndCheck(run, listening, 'private database up');
});

/** The database server listening on the URL's port, as `ss` names it, and each of its threads' allowed CPUs. */
function databaseServerThreads(): { pid: number; lists: string[] } {
  const port = new URL(DATABASE_URL).port || '3306';
  const line = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const pid = Number(/pid=(\d+)/.exec(line)?.[1]);
  assert.ok(pid > 0, `a server listens on port ${port}: ${line}`);
  const lists = fs
    .readdirSync(`/proc/${pid}/task`)
    .map((tid) => /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? '?');
  return { pid, lists };
}

test("a run right after a SIGKILLed run works, gives the machine's database its CPUs back, and the killed run's Node processes stop by themselves", {
  timeout: 120_000,
}, async () => {
  const own = databaseServerThreads();
  const killed = lab([...SHORT, '--users', '600', '--ramp', '10', '--database', DATABASE_URL], 'killed');
  await until(
    () => /users over/.test(killed.stderr()) && processesOf(killed).some((p) => / load --target /.test(p.cmdline)),
    60_000,
    'the killed run measures',
  );
  const confined = databaseServerThreads();
  killed.child.kill('SIGKILL');
  await killed.exited;
  const nodeLeft = () => processesOf(killed).filter((p) => p.cmdline.startsWith(process.execPath));
  await until(() => nodeLeft().length === 0, 10_000, 'the orphaned client and app server stop').catch(() => undefined);
  assert.deepEqual(
    nodeLeft().map((p) => p.cmdline),
    [],
    'no client or app server outlives the killed lab',
  );
  await until(() => processesOf(killed).length === 0, 10_000, 'nginx stops with the lab').catch(() => undefined);
  assert.deepEqual(
    processesOf(killed).map((p) => p.cmdline),
    [],
    'nothing the killed lab started outlives it (nginx included)',
  );

  const next = lab([...SHORT, '--database', DATABASE_URL], 'next');
  const exit = await next.exited;
  assert.equal(exit.code, 0, next.stderr());
  const result = JSON.parse(fs.readFileSync(path.join(next.outDir, 'prefork.json'), 'utf8')) as VariantResult;
  assert.equal(result.users.ok, 30, 'every user of the next run succeeds');
  assert.equal(result.integrity.ok, true, `the next run's audit holds: ${JSON.stringify(result.integrity)}`);
  if (new Set(own.lists).size === 1 && os.availableParallelism() > 1) {
    assert.ok(
      confined.lists.every((list) => list !== own.lists[0]),
      `the killed run had confined the database server: ${confined.lists.join(' ')}`,
    );
    assert.match(next.stderr(), new RegExp(`restored the CPUs of the server \\(pid ${own.pid}\\) that an interrupted run \\(pid ${killed.child.pid}\\)`));
    const after = databaseServerThreads();
    assert.equal(after.pid, own.pid);
    assert.deepEqual([...new Set(after.lists)], [own.lists[0]], "every thread of the database server has the machine's CPUs again");
  }
});

test('an unwritable --out is refused in one line, exit 2, before anything starts', async () => {
  const file = tempOut('a-file');
  fs.writeFileSync(file, 'not a folder');
  for (const out of [path.join(file, 'results'), '/proc/benchlab-results']) {
    const res = await runCli(['run', ...SHORT, '--database', DATABASE_URL, '--out', out]);
    assert.equal(res.code, 2, `${out}: ${res.stderr}`);
    assert.match(res.stderr, /^benchlab: option --out cannot be (created|written): /, out);
    assert.equal(res.stderr.trim().split('\n').length, 1, 'one line');
    assert.equal(fs.existsSync(out), false);
  }
});

test('a password from DATABASE_URL appears in no command line, log, output or result file', { timeout: 90_000 }, async () => {
  const password = `pw-${Date.now().toString(36)}-Secret`;
  const user = 'benchlab_secret';
  const database = new URL(DATABASE_URL).pathname.slice(1);
  // The test database may not exist yet on a fresh server; connecting through the lab creates it.
  await (await testDatabase()).stop();
  const admin = await mysql.createConnection(TEST_DATABASE_URL);
  try {
    for (const host of ['127.0.0.1', 'localhost']) {
      await admin.query(`CREATE USER IF NOT EXISTS '${user}'@'${host}' IDENTIFIED BY '${password}'`);
      await admin.query(`ALTER USER '${user}'@'${host}' IDENTIFIED BY '${password}'`);
      await admin.query(`GRANT ALL ON \`${database}\`.* TO '${user}'@'${host}'`);
    }
    const url = new URL(DATABASE_URL);
    url.username = user;
    url.password = password;

    const run = lab(SHORT, 'secret', { DATABASE_URL: url.toString() });
    let commandLines: string[] = [];
    await until(
      () => {
        if (/users over/.test(run.stderr())) commandLines = processesOf(run).map((p) => p.cmdline);
        return commandLines.length > 0 || run.child.exitCode !== null;
      },
      60_000,
      'the run measures',
    );
    const exit = await run.exited;
    assert.equal(exit.code, 0, run.stderr());
    assert.ok(
      commandLines.some((c) => / serve /.test(c)),
      'the app server was seen',
    );
    for (const line of commandLines) assert.ok(!line.includes(password), `a command line shows the password: ${line}`);
    assert.ok(!run.stdout().includes(password) && !run.stderr().includes(password), 'the output holds no password');
    const files = fs.readdirSync(run.outDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.ok(files.some((f) => f.name === 'run.json'));
    for (const f of files) {
      const file = path.join(f.parentPath, f.name);
      assert.ok(!fs.readFileSync(file).includes(password), `${file} holds the password`);
    }

    url.password = `${password}-wrong`;
    const refused = await runCli(['run', ...SHORT, '--out', tempOut('refused')], { env: { DATABASE_URL: url.toString() } });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^benchlab: cannot reach the database at 127\.0\.0\.1:3306: Access denied/);
    assert.ok(!refused.stderr.includes(password), 'the error names no password');
  } finally {
    for (const host of ['127.0.0.1', 'localhost']) await admin.query(`DROP USER IF EXISTS '${user}'@'${host}'`);
    await admin.end();
  }
});
