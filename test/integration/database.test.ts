import assert from 'node:assert/strict';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import { connectExternal, parseDatabaseUrl, startPrivateDatabase, type Database } from '../../lab/stack/database.js';
import { LabError } from '../../common/errors.js';
import { freePort } from '../../lab/stack/ports.js';
import { serverProcesses } from '../../lab/stack/listening-sockets.js';
import { spawn } from 'node:child_process';

// The machine's own server (CI starts one); each run works in a database of its own and drops it.
const serverUrl = process.env['BENCHLAB_TEST_DATABASE_URL'] ?? 'mysql://root@127.0.0.1:3306/benchlab_test';

function withDatabaseName(url: string, name: string): string {
  return url.replace(/\/[^/]*$/, `/${name}`);
}

async function connectionTo(url: string): Promise<mysql.Connection> {
  const { host, port, user, password, database } = parseDatabaseUrl(url);
  return mysql.createConnection({ host, port, user, password, database, charset: 'utf8mb4' });
}

function mariadbdPidsUsing(dataDir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('parseDatabaseUrl reads every part and defaults the port', () => {
  assert.deepEqual(parseDatabaseUrl('mysql://root@127.0.0.1/benchlab'), {
    user: 'root',
    password: '',
    host: '127.0.0.1',
    port: 3306,
    database: 'benchlab',
  });
  assert.deepEqual(parseDatabaseUrl('mysql://app:s%40cret@db.example:3307/guest_book'), {
    user: 'app',
    password: 's@cret',
    host: 'db.example',
    port: 3307,
    database: 'guest_book',
  });
  assert.equal(parseDatabaseUrl('mysql://root@[::1]:3306/x').host, '::1');
});

test('parseDatabaseUrl explains the expected shape and hides the password', () => {
  for (const bad of [
    '',
    'localhost:3306/db',
    'postgres://u@h/db',
    'mysql://u@h',
    'mysql://u@h/',
    'mysql://@h/db',
    'mysql://u@h/a;drop',
    'mysql://u@h:99999/db',
  ]) {
    assert.throws(
      () => parseDatabaseUrl(bad),
      (error: unknown) => {
        assert.ok(error instanceof LabError);
        assert.equal(error.code, 'BL_ERR_OPTION');
        assert.equal(error.message, `option --database must look like mysql://user@host:3306/name (got "${bad}")`);
        return true;
      },
      bad,
    );
  }
  assert.throws(
    () => parseDatabaseUrl('mysql://u:hunter2@h/'),
    (error: Error) => !error.message.includes('hunter2'),
  );
});

test('connectExternal says which server it cannot reach, within seconds', async () => {
  const port = await freePort();
  const started = Date.now();
  await assert.rejects(connectExternal(`mysql://root@127.0.0.1:${port}/benchlab`), (error: unknown) => {
    assert.ok(error instanceof LabError);
    assert.equal(error.code, 'BL_ERR_DATABASE');
    assert.match(error.message, new RegExp(`^cannot reach the database at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    return true;
  });
  assert.ok(Date.now() - started < 4000);
});

test('an external database gets its schema, counts rows and audits markers', async (t) => {
  const name = `benchlab_test_${randomBytes(4).toString('hex')}`;
  const url = withDatabaseName(serverUrl, name);
  t.after(async () => {
    const admin = await connectionTo(withDatabaseName(serverUrl, 'mysql'));
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  });

  const db = await connectExternal(url);
  t.after(() => db.stop());
  assert.equal(db.kind, 'external');
  // On this machine's loopback, the server is sampled: its process is found by the port it listens on.
  const [server, ...others] = db.pids();
  assert.ok(server !== undefined && others.length === 0, `one server process: ${JSON.stringify(db.pids())}`);
  assert.match(fs.readFileSync(`/proc/${server}/comm`, 'utf8').trim(), /^(mariadbd|mysqld)$/);
  assert.match(db.version, /^\d+\.\d+/);
  assert.equal(parseDatabaseUrl(db.url).database, name);
  assert.equal(await db.ready(), true);

  await db.ensureSchema();
  await db.ensureSchema();
  assert.equal(await db.countRows(), 0);

  const app = await connectionTo(db.url);
  t.after(() => app.end());
  const insert = (body: string) => app.query('INSERT INTO entries (body, created_at) VALUES (?, NOW(3))', [body]);
  await insert('marker-a');
  await insert('marker-b');
  await insert('marker-b');
  await insert('Marker-C ✓ 🙂');
  assert.equal(await db.countRows(), 4);

  const audit = await db.auditMarkers(['marker-a', 'marker-b', 'marker-c ✓ 🙂', 'marker-lost']);
  // The comparison is exact (utf8mb4_bin): "marker-c" in lower case was never stored.
  assert.deepEqual(audit, { rows: 4, missing: 2, duplicated: 1 });
  // Only the texts asked about count as duplicated: marker-b twice is not Marker-C's concern.
  assert.deepEqual(await db.auditMarkers(['Marker-C ✓ 🙂']), { rows: 4, missing: 0, duplicated: 0 });

  await db.resetTable();
  assert.equal(await db.countRows(), 0);
  assert.deepEqual(await db.auditMarkers([]), { rows: 0, missing: 0, duplicated: 0 });

  await db.stop();
  await db.stop();
  assert.ok(fs.existsSync(`/proc/${server}`), 'stopping the handle leaves the server of the machine running');
});

test('serverProcesses finds the named process listening on a local port, and nothing in front of it', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill());
  await new Promise((resolve) => child.stdout.once('data', resolve));
  assert.deepEqual(serverProcesses('127.0.0.1', port, ['node']), [child.pid]);
  assert.deepEqual(serverProcesses('localhost', port, ['node']), [child.pid]);
  assert.deepEqual(serverProcesses('127.0.0.1', port, ['mariadbd', 'mysqld']), [], 'a process of another name (a proxy) is not the server');
  assert.deepEqual(serverProcesses('127.0.0.1', await freePort(), ['node']), []);
});

test('a private database starts in a temp datadir and leaves nothing behind', async (t) => {
  let db: Database | undefined;
  t.after(() => db?.stop());
  db = await startPrivateDatabase();
  assert.equal(db.kind, 'private');
  const { host, port, database } = parseDatabaseUrl(db.url);
  assert.equal(host, '127.0.0.1');
  assert.notEqual(port, 3306);
  assert.equal(database, 'benchlab');

  const [serverPid] = db.pids();
  assert.ok(serverPid !== undefined && fs.existsSync(`/proc/${serverPid}`));
  const cmdline = fs.readFileSync(`/proc/${serverPid}/cmdline`, 'utf8').split('\0');
  const dataDir = cmdline.find((arg) => arg.startsWith('--datadir='))!.slice('--datadir='.length);
  assert.match(dataDir, /benchlab-db-/);
  assert.ok(fs.existsSync(dataDir));

  await db.ensureSchema();
  const app = await connectionTo(db.url);
  await app.query('INSERT INTO entries (body, created_at) VALUES (?, NOW(3))', ['private-marker']);
  await app.end();
  assert.deepEqual(await db.auditMarkers(['private-marker']), { rows: 1, missing: 0, duplicated: 0 });

  const machineServer = await connectionTo(withDatabaseName(serverUrl, 'mysql'));
  t.after(() => machineServer.end());
  await db.stop();
  await db.stop();
  assert.equal(fs.existsSync(dataDir), false, 'the datadir is removed');
  assert.deepEqual(mariadbdPidsUsing(dataDir), [], 'no server with that datadir remains');
  assert.deepEqual(db.pids(), []);
  await machineServer.query('SELECT 1');
});
