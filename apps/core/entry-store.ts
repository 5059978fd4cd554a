import mysql from 'mysql2/promise';
import type { Entry } from './page.js';
import { PAGE_ENTRIES } from './limits.js';

export const ENTRIES_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS entries (' +
  'id BIGINT AUTO_INCREMENT PRIMARY KEY, ' +
  'body VARCHAR(1000) NOT NULL, ' +
  'created_at DATETIME(3) NOT NULL' +
  ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

const HEALTH_QUERY_TIMEOUT_MS = 1000;

export interface EntryStore {
  latest(): Promise<Entry[]>;
  insert(body: string): Promise<void>;
  /** True when the database answers a query now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

interface EntryRow extends mysql.RowDataPacket {
  id: number;
  body: string;
  created_at: Date;
}

export function createEntryStore(databaseUrl: string, poolSize: number): EntryStore {
  const pool = mysql.createPool({
    uri: databaseUrl,
    connectionLimit: poolSize,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    enableKeepAlive: true,
  });
  let schemaReady: Promise<void> | undefined;
  // Created lazily so that a server started before its database still comes up and reports 503.
  const ensureSchema = (): Promise<void> => {
    schemaReady ??= pool.query(ENTRIES_TABLE_SQL).then(
      () => undefined,
      (err: unknown) => {
        schemaReady = undefined;
        throw err;
      },
    );
    return schemaReady;
  };

  return {
    async latest() {
      await ensureSchema();
      const [rows] = await pool.query<EntryRow[]>(`SELECT id, body, created_at FROM entries ORDER BY id DESC LIMIT ${PAGE_ENTRIES}`);
      return rows.map((r) => ({ id: Number(r.id), body: r.body, createdAt: r.created_at }));
    },
    async insert(body) {
      await ensureSchema();
      await pool.execute('INSERT INTO entries (body, created_at) VALUES (?, NOW(3))', [body]);
    },
    async ping() {
      try {
        await pool.query({ sql: 'SELECT 1', timeout: HEALTH_QUERY_TIMEOUT_MS });
        await ensureSchema();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await pool.end();
    },
  };
}
