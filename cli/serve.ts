import os from 'node:os';
import { optionError } from '../common/errors.js';
import { parseInteger } from '../common/option-parsers.js';
import { variantByName } from '../lab/variant-selection.js';
import { SERVE_DEFAULTS } from '../common/defaults.js';
import { parseListen } from '../apps/listen.js';
import { defaultWorkers } from '../apps/variants.js';
import type { ServeOptions } from '../apps/serve-options.js';
import { parseDatabaseUrl } from '../common/database-url.js';

export interface RawServeOptions {
  variant?: string;
  listen?: string;
  database?: string;
  workers?: string;
  threads?: string;
  dbPool?: string;
  backlog?: string;
}

/** Checks `benchlab serve`'s options; the cores this process may run on set the worker default. */
export function serveOptionsFrom(raw: RawServeOptions, env: NodeJS.ProcessEnv = process.env): ServeOptions {
  if (!raw.variant) throw optionError('--variant', 'is required');
  const variant = variantByName(raw.variant);
  if (!raw.listen) throw optionError('--listen', 'is required (HOST:PORT or unix:/path)');
  const listen = parseListen(raw.listen);
  if (!listen) throw optionError('--listen', `must be HOST:PORT or unix:/absolute/path (got "${raw.listen}")`);
  const databaseUrl = raw.database ?? env['DATABASE_URL'];
  if (!databaseUrl) throw optionError('--database', 'is required (or set DATABASE_URL)');
  parseDatabaseUrl(databaseUrl);
  const fallback = defaultWorkers(os.availableParallelism());
  return {
    variant,
    listen,
    databaseUrl,
    workers: raw.workers ? parseInteger('--workers', raw.workers, 1, 256) : fallback,
    threads: raw.threads ? parseInteger('--threads', raw.threads, 1, 256) : fallback,
    dbPool: raw.dbPool ? parseInteger('--db-pool', raw.dbPool, 1, 1000) : SERVE_DEFAULTS.dbPool,
    backlog: raw.backlog ? parseInteger('--backlog', raw.backlog, 1, 65535) : SERVE_DEFAULTS.backlog,
  };
}
