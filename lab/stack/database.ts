import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { auditRows, type MarkerAudit, type MarkerTags } from '../../common/integrity.js';
import { LabError } from '../../common/errors.js';
import type { DatabaseSettings } from '../../report/run-info.js';
import { databaseUrlOf, parseDatabaseUrl, type DatabaseAddress } from '../../common/database-url.js';
import { findExecutable } from './executables.js';
import { ownedTempDir, removeOrphanedDirs } from './owned-dirs.js';
import { ENTRIES_TABLE_SQL } from '../../apps/core/entry-store.js';
import { assertPortFree, freePort } from './ports.js';
import { startProcess, waitFor, type ManagedProcess } from './service.js';
import { serverProcesses } from './listening-sockets.js';

const execFileAsync = promisify(execFile);

export { databaseUrlOf, parseDatabaseUrl, type DatabaseAddress } from '../../common/database-url.js';

/** Accepted texts against the table: every row counted, whoever wrote it. */
export interface TextCount {
  rows: number;
  missing: number;
  duplicated: number;
}

export interface Database {
  /** Connection URL including the database name, for the app servers. */
  url: string;
  kind: 'external' | 'private';
  /** SELECT VERSION(), e.g. "10.11.19-MariaDB-0+deb12u1". */
  version: string;
  /** Server processes to sample; empty when the server is not ours. */
  pids(): number[];
  /** True when the server answers a query now. */
  ready(): Promise<boolean>;
  ensureSchema(): Promise<void>;
  /** Empties the table before a run. */
  resetTable(): Promise<void>;
  countRows(): Promise<number>;
  /** The server's settings that change how a write-heavy run comes out. */
  settings(): Promise<DatabaseSettings>;
  /** Checks that every text is stored exactly once, and counts all rows. */
  auditMarkers(markers: string[]): Promise<TextCount>;
  /** One measurement's audit: its accepted markers, and the other rows sorted by the tags they carry (common/integrity.ts). */
  auditMeasurement(markers: readonly string[], tags: MarkerTags): Promise<MarkerAudit>;
  /** Closes the admin connections; a private server is also stopped and its data removed. */
  stop(): Promise<void>;
  /** A private server only: stops it and starts it again on the same datadir and port (the restart-db fault). */
  restart?(): Promise<{ oldPid: number; newPid: number }>;
}

/** Where and as whom the lab's own connections log in. */
function loginOf(address: DatabaseAddress, connectTimeout = 3000): mysql.ConnectionOptions {
  return { host: address.host, port: address.port, user: address.user, password: address.password, charset: 'utf8mb4', connectTimeout };
}

function poolFor(address: DatabaseAddress, database?: string): mysql.Pool {
  return mysql.createPool({ ...loginOf(address), database, connectionLimit: 2 });
}

async function createDatabase(address: DatabaseAddress): Promise<string> {
  const connection = await mysql.createConnection(loginOf(address));
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${address.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT VERSION() AS version');
    return String(rows[0]!.version);
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

function handleFor(
  address: DatabaseAddress,
  kind: Database['kind'],
  version: string,
  server: { pids(): number[]; stop(): Promise<void>; restart?(): Promise<{ oldPid: number; newPid: number }> },
): Database {
  const pool = poolFor(address, address.database);
  let stopping: Promise<void> | undefined;
  /** Each distinct body and how many rows hold it. */
  const storedBodies = async (): Promise<Map<string, number>> => {
    const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT body, COUNT(*) AS n FROM entries GROUP BY body');
    return new Map(rows.map((row) => [String(row.body), Number(row.n)]));
  };
  const countRows = async () => {
    const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM entries');
    return Number(rows[0]!.n);
  };
  return {
    url: databaseUrlOf(address),
    kind,
    version,
    pids: server.pids,
    ...(server.restart ? { restart: server.restart } : {}),
    async ready() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async ensureSchema() {
      await pool.query(ENTRIES_TABLE_SQL);
    },
    async resetTable() {
      await pool.query('TRUNCATE TABLE entries');
    },
    countRows,
    async settings() {
      const [rows] = await pool.query<mysql.RowDataPacket[]>(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_flush_log_at_trx_commit', 'log_bin', 'sync_binlog', 'innodb_buffer_pool_size', 'max_connections')",
      );
      const value = (name: string) => {
        const row = rows.find((r) => String(r.Variable_name) === name);
        return row === undefined ? null : String(row.Value);
      };
      const number = (name: string) => (value(name) === null ? null : Number(value(name)));
      const local = address.host === 'localhost' || address.host === '::1' || address.host.startsWith('127.');
      return {
        where: kind === 'private' ? 'private' : local ? 'local' : 'remote',
        version,
        innodbFlushLogAtTrxCommit: value('innodb_flush_log_at_trx_commit'),
        logBin: value('log_bin'),
        syncBinlog: value('sync_binlog'),
        innodbBufferPoolBytes: number('innodb_buffer_pool_size'),
        maxConnections: number('max_connections'),
      };
    },
    async auditMarkers(markers) {
      const stored = await storedBodies();
      const rows = [...stored.values()].reduce((sum, n) => sum + n, 0);
      return { rows, missing: markers.filter((m) => !stored.has(m)).length, duplicated: markers.filter((m) => (stored.get(m) ?? 0) > 1).length };
    },
    async auditMeasurement(markers, tags) {
      return auditRows(await storedBodies(), markers, tags);
    },
    stop() {
      stopping ??= (async () => {
        await pool.end().catch(() => undefined);
        await server.stop();
      })();
      return stopping;
    },
  };
}

function unreachable(address: DatabaseAddress, error: unknown): LabError {
  const reason = (error as Error).message || String((error as { code?: string }).code ?? error);
  return new LabError('BL_ERR_DATABASE', `cannot reach the database at ${address.host}:${address.port}: ${reason}`);
}

/** A server someone else runs: checks it answers, creates the database if missing. */
export async function connectExternal(url: string): Promise<Database> {
  const address = parseDatabaseUrl(url);
  let version: string;
  try {
    version = await withTimeout(createDatabase(address), 3500, 'no answer within 3.5 s');
  } catch (error) {
    throw unreachable(address, error);
  }
  return handleFor(address, 'external', version, { pids: localServerPids(address), stop: async () => {} });
}

const SERVER_NAMES = ['mariadbd', 'mysqld'];

/**
 * A server on this machine's loopback is sampled like a private one: its process is found by the
 * port it listens on (once, and again if it restarts). Elsewhere, or out of sight, there is none.
 */
function localServerPids(address: DatabaseAddress): () => number[] {
  const host = address.host;
  const local = host === 'localhost' || host === '::1' || host.startsWith('127.');
  if (!local) return () => [];
  // A scan reads every process's descriptors: once, here, before anything is measured, and again
  // only when the server it found is gone.
  let pids = serverProcesses(host, address.port, SERVER_NAMES);
  return () => {
    if (pids.length > 0 && !pids.every((pid) => fs.existsSync(`/proc/${pid}`))) pids = serverProcesses(host, address.port, SERVER_NAMES);
    return pids;
  };
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(why)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

interface ServerFlavor {
  kind: 'mariadb' | 'mysql';
  server: string;
  /** mariadb-install-db for MariaDB; MySQL initializes with the server binary itself. */
  installer?: string;
}

async function findServer(): Promise<ServerFlavor> {
  const missing = new LabError(
    'BL_ERR_MISSING_TOOL',
    'no mariadbd or mysqld found for a private database: install it with `apt-get install -y mariadb-server`, or pass --database',
  );
  const mariadbd = findExecutable('mariadbd');
  const installer = findExecutable('mariadb-install-db') ?? findExecutable('mysql_install_db');
  if (mariadbd !== undefined) {
    if (installer === undefined) throw missing;
    return { kind: 'mariadb', server: mariadbd, installer };
  }
  const mysqld = findExecutable('mysqld');
  if (mysqld === undefined) throw missing;
  // Some distributions ship mysqld as a name for the MariaDB server.
  const { stdout } = await execFileAsync(mysqld, ['--version']);
  if (/mariadb/i.test(stdout)) {
    if (installer === undefined) throw missing;
    return { kind: 'mariadb', server: mysqld, installer };
  }
  return { kind: 'mysql', server: mysqld };
}

async function initializeDataDir(flavor: ServerFlavor, dataDir: string, logFile: string): Promise<void> {
  const [command, args] =
    flavor.kind === 'mariadb'
      ? [
          flavor.installer!,
          ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...asRootFlag()],
        ]
      : [flavor.server, ['--no-defaults', '--initialize-insecure', `--datadir=${dataDir}`, ...asRootFlag()]];
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    fs.appendFileSync(logFile, `${stdout}${stderr}`);
  } catch (error) {
    const output = `${(error as { stderr?: string }).stderr ?? ''}`.trim().split('\n').slice(-2).join(' | ');
    throw new LabError('BL_ERR_DATABASE', `cannot initialize a private database in ${dataDir}: ${output || (error as Error).message}`);
  }
}

// The server refuses to run as root unless told so; as another user the flag would only warn.
function asRootFlag(): string[] {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}

function serverArgs(flavor: ServerFlavor, dataDir: string, port: number): string[] {
  const common = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${path.join(dataDir, 'mysqld.sock')}`,
    `--pid-file=${path.join(dataDir, 'server.pid')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    ...asRootFlag(),
    '--skip-log-bin',
    '--innodb-buffer-pool-size=128M',
    // The lab measures app servers, not fsync: commit to the OS buffer, flush once a second.
    '--innodb-flush-log-at-trx-commit=2',
    // Prefork variants open a pool per worker; the default 151 runs out under load.
    '--max-connections=2000',
  ];
  // MySQL's initialized root@localhost matches 127.0.0.1 only when names are resolved; MariaDB adds root@127.0.0.1.
  return flavor.kind === 'mysql' ? [...common, '--mysqlx=OFF'] : [...common, '--skip-name-resolve'];
}

const DATA_DIR_PREFIX = 'benchlab-db-';

export interface PrivateDatabaseOptions {
  /** CPU list for `taskset -c`. */
  cpus?: string;
  /** TCP port on 127.0.0.1; a free one is picked when absent. */
  port?: number;
  readyTimeoutMs?: number;
}

/** Starts a throwaway MariaDB/MySQL server in a temp datadir; stop() removes it again. */
export async function startPrivateDatabase(options: PrivateDatabaseOptions = {}): Promise<Database> {
  const flavor = await findServer();
  const host = '127.0.0.1';
  if (options.port !== undefined) await assertPortFree(host, options.port, '--db-port');
  const port = options.port ?? (await freePort(host));
  // A lab killed by SIGKILL could not remove its server's data; the next one does.
  removeOrphanedDirs(DATA_DIR_PREFIX);
  // The data in a folder of its own: MySQL initializes only an empty one.
  const root = ownedTempDir(DATA_DIR_PREFIX);
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  const address: DatabaseAddress = { user: 'root', password: '', host, port, database: 'benchlab' };

  let server: ManagedProcess | undefined;
  let stopped: Promise<void> | undefined;
  const stopServer = () => {
    stopped ??= (async () => {
      // InnoDB flushes on shutdown; give it longer than an app server before killing it.
      await server?.stop(30_000);
      fs.rmSync(root, { recursive: true, force: true });
    })();
    return stopped;
  };

  const launch = async (): Promise<ManagedProcess> => {
    const started = await startProcess({
      name: path.basename(flavor.server),
      command: flavor.server,
      args: serverArgs(flavor, dataDir, port),
      cpus: options.cpus,
      logFile,
    });
    server = started;
    await waitFor(() => answers(address), {
      timeoutMs: options.readyTimeoutMs ?? 30_000,
      intervalMs: 200,
      what: `private database on ${host}:${port}`,
      process: started,
    });
    return started;
  };

  try {
    await initializeDataDir(flavor, dataDir, logFile);
    await launch();
    const version = await createDatabase(address);
    return handleFor(address, 'private', version, {
      pids: () => (server === undefined || server.hasExited() ? [] : [server.pid]),
      stop: stopServer,
      async restart() {
        const old = server!;
        await old.stop(30_000);
        return { oldPid: old.pid, newPid: (await launch()).pid };
      },
    });
  } catch (error) {
    await stopServer();
    throw error;
  }
}

async function answers(address: DatabaseAddress): Promise<boolean> {
  const connection = await mysql.createConnection(loginOf(address, 1000));
  await connection.end().catch(() => connection.destroy());
  return true;
}
