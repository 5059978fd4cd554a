import { connectExternal, type Database } from '../../lab/stack/database.js';

// Integration tests use the machine's MySQL/MariaDB (CI starts one), in a database of their own.
export const TEST_DATABASE_URL = process.env['BENCHLAB_TEST_DATABASE_URL'] ?? 'mysql://root@127.0.0.1:3306/benchlab_test';

export function testDatabase(): Promise<Database> {
  return connectExternal(TEST_DATABASE_URL);
}
