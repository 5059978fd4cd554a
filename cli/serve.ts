// `benchlab serve`: one variant in the foreground, what the lab and the containers start.
import os from 'node:os';
import type { Command } from 'commander';
import { action } from './action.js';
import { withDefault } from './options.js';
import { optionError } from '../common/errors.js';
import { parseInteger } from '../common/option-parsers.js';
import { variantByName } from '../lab/variant-selection.js';
import { RUN_DEFAULTS, SERVE_DEFAULTS } from '../common/defaults.js';
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
  threadTasks?: string;
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
    threadTasks: raw.threadTasks ? parseInteger('--thread-tasks', raw.threadTasks, 1, 1000) : SERVE_DEFAULTS.threadTasks,
    dbPool: raw.dbPool ? parseInteger('--db-pool', raw.dbPool, 1, 1000) : SERVE_DEFAULTS.dbPool,
    backlog: raw.backlog ? parseInteger('--backlog', raw.backlog, 1, 65535) : SERVE_DEFAULTS.backlog,
  };
}

export function defineServe(program: Command): Command {
  return program
    .command('serve')
    .description('run one app server variant in the foreground (what the lab and the containers start)')
    .requiredOption('--variant <name>', 'variant to run (see `benchlab variants`)')
    .requiredOption('--listen <address>', 'HOST:PORT or unix:/path')
    .option('--database <url>', withDefault('mysql://user[:pass]@host[:port]/db', '$DATABASE_URL'))
    .option('--workers <n>', withDefault('processes for prefork variants', '2 × cores + 1'))
    .option('--threads <n>', withDefault('worker threads for threaded variants', '2 × cores + 1'))
    .option('--thread-tasks <n>', withDefault('requests each thread of a threaded variant serves at once', SERVE_DEFAULTS.threadTasks))
    .option('--db-pool <n>', withDefault('database connections per process or thread', SERVE_DEFAULTS.dbPool))
    .option('--backlog <n>', withDefault('listen backlog', RUN_DEFAULTS.backlog))
    .action(
      action(async (raw: RawServeOptions) => {
        const options = serveOptionsFrom(raw);
        const [{ serve }, { assertPortFree }, { default: cluster }] = await Promise.all([
          import('../apps/serve.js'),
          import('../lab/stack/ports.js'),
          import('node:cluster'),
        ]);
        // Cluster workers rerun this command; the port is their primary's by then.
        if (cluster.isPrimary && 'port' in options.listen && options.listen.port !== 0) {
          await assertPortFree(options.listen.host, options.listen.port, '--listen');
        }
        await serve(options);
      }),
    );
}
