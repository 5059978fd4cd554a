import { TEST_DATABASE_URL } from './test-database.js';

/**
 * The test database URL with its own database name, so a suite that counts rows is not
 * disturbed by another suite (or another checkout's tests) emptying the shared one.
 */
export function isolatedDatabaseUrl(suffix: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `${url.pathname.replace(/^\//, '')}_${suffix}`;
  return url.toString();
}
