// The --database URL, apart from the database code: `benchlab serve` checks it without loading mysql2.
import { optionError } from './errors.js';

export interface DatabaseAddress {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
}

const urlShape = 'must look like mysql://user@host:3306/name';

// The password never goes into an error message.
function withoutPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** Reads mysql://user[:password]@host[:port]/database; the port defaults to 3306. */
export function parseDatabaseUrl(url: string): DatabaseAddress {
  const bad = () => optionError('--database', `${urlShape} (got "${withoutPassword(url)}")`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad();
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') throw bad();
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  // Names are put in SQL identifiers, so only the plain characters are accepted.
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) throw bad();
  if (parsed.username === '' || parsed.hostname === '') throw bad();
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad();
  return {
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    database,
  };
}

export function databaseUrlOf(address: DatabaseAddress): string {
  const password = address.password === '' ? '' : `:${encodeURIComponent(address.password)}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `mysql://${encodeURIComponent(address.user)}${password}@${host}:${address.port}/${address.database}`;
}
