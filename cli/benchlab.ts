import { Command, CommanderError, Option } from 'commander';
import { LabError } from '../common/errors.js';
import { CAPACITY_DEFAULTS, RUN_DEFAULTS } from '../common/defaults.js';
import { stopWithParent } from '../lab/stack/parent-watch.js';

// The CLI only parses arguments and calls the same functions that programs and tests call.

function fail(err: unknown): never {
  if (err instanceof LabError) {
    console.error(`benchlab: ${err.message}`);
    process.exit(err.exitCode);
  }
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(`benchlab: unexpected error: ${message}`);
  if (process.env['BENCHLAB_DEBUG'] && err instanceof Error) console.error(err.stack);
  process.exit(1);
}

function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return (...args: A) => fn(...args).catch(fail);
}

const program = new Command('benchlab')
  .description('Compare ways of running a Node.js app server behind nginx and MySQL, as the classic experiment did.')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`benchlab: ${text.replace(/^error: /, '')}`) })
  .showHelpAfterError('(run benchlab --help for usage)');

program
  .command('serve')
  .description('run one app server variant in the foreground (what the lab and the containers start)')
  .requiredOption('--variant <name>', 'variant to run (see `benchlab variants`)')
  .requiredOption('--listen <address>', 'HOST:PORT or unix:/path')
  .option('--database <url>', 'mysql://user[:pass]@host[:port]/db (default: $DATABASE_URL)')
  .option('--workers <n>', 'processes for prefork variants (default: 2 × cores + 1)')
  .option('--threads <n>', 'worker threads for threaded variants (default: 2 × cores + 1)')
  .option('--db-pool <n>', `database connections per process or thread (default: ${RUN_DEFAULTS.dbPool})`)
  .option('--backlog <n>', `listen backlog (default: ${RUN_DEFAULTS.backlog})`)
  .action(
    action(async (raw) => {
      const { serveOptionsFrom } = await import('./serve.js');
      const { serve } = await import('../apps/serve.js');
      const { assertPortFree } = await import('../lab/stack/ports.js');
      const options = serveOptionsFrom(raw);
      // Cluster workers rerun this command; the port is their primary's by then.
      const { default: cluster } = await import('node:cluster');
      if (cluster.isPrimary && 'port' in options.listen && options.listen.port !== 0) {
        await assertPortFree(options.listen.host, options.listen.port, '--listen');
      }
      await serve(options);
    }),
  );

program
  .command('load')
  .description('replay the three-request scenario against a running target (nginx in front of a variant)')
  .requiredOption('--target <url>', 'base URL, e.g. http://127.0.0.1:8080')
  .option('--users <n>', `users to start (default: ${RUN_DEFAULTS.users})`)
  .option('--ramp <seconds>', `seconds over which users arrive (default: ${RUN_DEFAULTS.rampSeconds})`)
  .option('--timeout <ms>', `per-request timeout in ms (default: ${RUN_DEFAULTS.timeoutMs})`)
  .addOption(new Option('--arrival <model>', 'arrival schedule').choices(['uniform', 'poisson']))
  .option('--seed <n>', 'seed for the poisson schedule')
  .option('--expect-backend <name>', 'count answers with another X-Backend as errors')
  .option('--no-check-own-post', 'do not check that the last page shows the user\'s own post')
  .option('--label <name>', 'name of what is measured, written into the result')
  .option('--stages <list>', 'arrival-rate stages instead of --users/--ramp: 10s:20,30s:100,10s:0 ramps to 20 users/s over 10 s, …')
  .option('--max-active <n>', 'at most n users in flight; see --on-saturation')
  .addOption(new Option('--on-saturation <what>', 'at --max-active, an arrival waits for a slot (its wait counts in its time) or is dropped').choices(['wait', 'drop']))
  .addOption(new Option('--mode <model>', 'open: users arrive on a schedule (default); closed: --connections users for --duration; peak: plain GET / with autocannon').choices(['open', 'closed', 'peak']))
  .option('--connections <n>', 'users kept busy in --mode closed or peak (default: 50)')
  .option('--duration <seconds>', 'how long --mode closed or peak runs (default: 10)')
  .option('--shard <k/n>', 'run only every n-th user of the schedule, starting at k (one of n client processes)')
  .option('--threads <n>', 'share this client\'s users between n event loops (worker threads) of this one process, merged exactly (default: 1)')
  .option('--run-tag <tag>', 'makes every posted text unique to this run (default: random)')
  .option('--out <path>', 'write the result JSON to this file, or into this directory (ending in /) as shard-<host>-<pid>.json')
  .option('--start-at <time>', 'start the schedule at this ISO 8601 time or epoch ms, shared by several clients (default: $BENCHLAB_START_AT, else now)')
  .option('--wait-for-target <seconds>', 'first wait up to this long for the target\'s /healthz to answer 200')
  .option('--warmup-users <n>', `uncounted users first, over ${RUN_DEFAULTS.warmupRampSeconds} s, as benchlab run warms a variant up (default: 0)`)
  .option('--meta <key=value>', 'record this fact in the result (repeatable)', (pair: string, all: string[]) => [...all, pair], [] as string[])
  .option('--progress-file <path>', 'replace this file with the live counts as JSON each second (for a lab watching the run)')
  .option('--json', 'print the result JSON instead of the table')
  .option('--quiet', 'print nothing (use with --out)')
  .action(
    action(async (raw) => {
      const { loadCommand } = await import('./load.js');
      await loadCommand(raw);
    }),
  );

program
  .command('merge')
  .description('merge the result shards that several clients wrote for one variant (exact: histograms add)')
  .argument('<shards...>', 'result files, or directories of them')
  .option('--out <file>', 'write the merged result here and record it in run.json beside it')
  .option('--database <url>', 'audit the accepted posts against this database (else integrity is unknown)')
  .option('--label <name>', 'label of a new run.json (default: the folder name)')
  .option('--json', 'print the merged result as JSON instead of the table')
  .option('--quiet', 'print nothing (use with --out)')
  .action(
    action(async (shards: string[], raw) => {
      const { mergeCommand } = await import('./merge.js');
      await mergeCommand(shards, raw);
    }),
  );

/** The parts and knobs of the server side, the same for every command that starts variants. */
function withServerSideOptions(command: Command): Command {
  return command
    .option('--manifest <file>', 'JSON file adding foreign variants')
    .option('--database <url>', 'use this MySQL/MariaDB (default: $DATABASE_URL, else 127.0.0.1:3306 if it answers, else a private server)')
    .option('--private-db', 'always start a private mariadbd/mysqld in a temp dir')
    .option('--workers <n>', 'processes per prefork variant (default: 2 × server cores + 1)')
    .option('--threads <n>', 'threads per threaded variant (default: 2 × server cores + 1)')
    .option('--db-pool <n>', `database connections per process or thread (default: ${RUN_DEFAULTS.dbPool})`)
    .option('--backlog <n>', `listen backlog of the app servers (default: ${RUN_DEFAULTS.backlog})`)
    .addOption(new Option('--app-socket <kind>', 'how nginx reaches the app (default: tcp)').choices(['tcp', 'unix']))
    .option('--upstream-keepalive <n>', `idle upstream connections per nginx worker, 0 = none (default: ${RUN_DEFAULTS.upstreamKeepalive})`)
    .option('--nginx-workers <n>', `nginx worker processes (default: ${RUN_DEFAULTS.nginxWorkers})`)
    .option('--server-cpus <list>', 'CPUs for db, app and nginx (default: all but the last when there are 2+)')
    .option('--client-cpus <list>', 'CPUs for the client (default: the last one when there are 2+)')
    .option('--no-pin', 'do not pin server and client to separate CPUs');
}

withServerSideOptions(program.command('run'))
  .description('start db, each variant and nginx in turn, load them, and write the comparison')
  .option('--variants <list>', `variants, sets and globs, comma separated (default: ${RUN_DEFAULTS.variants})`)
  .option('--users <n>', `users per variant (default: ${RUN_DEFAULTS.users})`)
  .option('--ramp <seconds>', `seconds over which they arrive (default: ${RUN_DEFAULTS.rampSeconds})`)
  .option('--timeout <ms>', `per-request timeout in ms (default: ${RUN_DEFAULTS.timeoutMs})`)
  .addOption(new Option('--arrival <model>', 'arrival schedule').choices(['uniform', 'poisson']))
  .option('--stages <list>', 'arrival-rate stages instead of --users/--ramp, e.g. 10s:20,30s:100,10s:0')
  .option('--max-active <n>', 'at most n users in flight; see --on-saturation')
  .addOption(new Option('--on-saturation <what>', 'at --max-active, an arrival waits for a slot (default) or is dropped').choices(['wait', 'drop']))
  .addOption(new Option('--mode <model>', 'open: users arrive on a schedule (default); closed: --connections users for --duration, then a GET / peak').choices(['open', 'closed']))
  .option('--connections <n>', 'users kept busy in --mode closed (default: 50)')
  .option('--duration <seconds>', 'how long --mode closed runs (default: 10)')
  .option('--client-procs <n>', 'client processes sharing the load (default: one per client CPU)')
  .option('--client-threads <n>', 'event loops (worker threads) in each client process, sharing its users (default: 1)')
  .option('--max-lateness <ms>', 'client lateness p99 above which a run is flagged invalid (default: 20)')
  .option('--repeat <n>', 'run every variant n times, in a shuffled order each round (default: 1)')
  .option('--warmup-users <n>', `uncounted users before each measurement (default: ${RUN_DEFAULTS.warmupUsers})`)
  .option('--out <dir>', 'write results exactly here')
  .option('--label <name>', 'label in the results directory name (default: the variants)')
  .option('--results <dir>', `parent of timestamped result dirs (default: ${RUN_DEFAULTS.resultsDir})`)
  .option('--json', 'print the results as JSON instead of the table')
  .option('--fault <list>', 'inject faults into each measured window: kill-worker@T, restart-db@T (with --private-db), reload-nginx@T, stop-app@T; T in seconds from its start, comma separated')
  .option('--fail-on <limits>', 'exit 99 when a variant breaks one, e.g. "errors>1%,p99>800ms,integrity" (p50|p90|p99|p999|max in ms or s)')
  .option('--quiet', 'no progress or log lines: only errors and the results path')
  .action(
    action(async (raw) => {
      const { runCommand } = await import('./run.js');
      await runCommand(raw);
    }),
  );

withServerSideOptions(program.command('capacity'))
  .description('find the highest arrival rate each variant sustains within an SLO, stepping the rate up and then bisecting')
  .option('--variants <list>', `variants, sets and globs, comma separated (default: ${RUN_DEFAULTS.variants})`)
  .option('--slo <objectives>', `what must hold at a sustained rate (default: "${CAPACITY_DEFAULTS.slo}"; errors<N%, p50|p90|p99|p999|max<N in ms or s)`)
  .option('--start-rate <users/s>', `first rate (default: ${CAPACITY_DEFAULTS.startRate})`)
  .option('--max-rate <users/s>', `highest rate tried (default: ${CAPACITY_DEFAULTS.maxRate})`)
  .option('--step-seconds <seconds>', `users arrive for this long at each rate (default: ${CAPACITY_DEFAULTS.stepSeconds})`)
  .option('--steps <n>', `measurements per variant at most (default: ${CAPACITY_DEFAULTS.maxSteps})`)
  .option('--timeout <ms>', 'per-request timeout in ms (default: 2 × the SLO\'s slowest time limit, 1000 to 10000)')
  .option('--warmup-users <n>', `uncounted users before the first step (default: ${RUN_DEFAULTS.warmupUsers})`)
  .option('--out <dir>', 'write results exactly here')
  .option('--label <name>', 'label in the results directory name (default: capacity-<variants>)')
  .option('--results <dir>', `parent of timestamped result dirs (default: ${RUN_DEFAULTS.resultsDir})`)
  .option('--json', 'print capacity.json instead of the table')
  .option('--quiet', 'no progress or log lines: only errors and the results path')
  .action(
    action(async (raw) => {
      const { capacityCommand } = await import('./capacity.js');
      await capacityCommand(raw);
    }),
  );

program
  .command('verify')
  .description('check variants (or a running target) against every line of the scenario contract')
  .option('--variants <list>', 'variants, sets or globs to start and check (default: design)')
  .option('--target <url>', 'check something already running at this base URL instead')
  .option('--expect-backend <name>', 'with --target: the X-Backend every answer must carry')
  .option('--manifest <file>', 'JSON file adding foreign variants')
  .option('--database <url>', 'use this MySQL/MariaDB (as for run)')
  .option('--private-db', 'start a private mariadbd/mysqld')
  .addOption(new Option('--app-socket <kind>', 'how nginx reaches the app (default: tcp)').choices(['tcp', 'unix']))
  .option('--no-pin', 'do not pin to CPUs')
  .option('--json', 'print the findings as JSON')
  .action(
    action(async (raw) => {
      const { verifyCommand } = await import('./verify.js');
      await verifyCommand(raw);
    }),
  );

program
  .command('report')
  .description('render summary.md, summary.csv and report.html again from a results directory')
  .argument('<dir>', 'a results directory (run.json and <variant>.json)')
  .action(
    action(async (dir: string) => {
      const { reportCommand } = await import('./report.js');
      await reportCommand(dir);
    }),
  );

program
  .command('compare')
  .description('compare two results directories per variant, and say which changes are larger than the noise')
  .argument('<dirA>', 'the earlier results directory')
  .argument('<dirB>', 'the later one; compare.md and compare.html are written here')
  .option('--out <file.html>', 'write the HTML page here instead (and the markdown beside it)')
  .action(
    action(async (dirA: string, dirB: string, raw) => {
      const { compareCommand } = await import('./compare.js');
      await compareCommand(dirA, dirB, raw);
    }),
  );

program
  .command('variants')
  .description('list the app server variants and named sets')
  .action(
    action(async () => {
      const { variantsTable } = await import('./variants.js');
      process.stdout.write(variantsTable());
    }),
  );

stopWithParent();
program.parseAsync(process.argv).catch(fail);
