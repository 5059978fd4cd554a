// Option groups that several commands share, declared once. Every default shown in --help is read
// from common/defaults.ts, the module the code takes it from.
import { Option, type Command } from 'commander';
import { CLOSED_DEFAULTS, RUN_DEFAULTS } from '../common/defaults.js';

/** The `(default: …)` every option's help ends with, so the docs test can read it back. */
export const withDefault = (text: string, value: unknown): string => `${text} (default: ${String(value)})`;

/** The parts and knobs of the server side, the same for every command that starts variants. */
export function serverSideOptions(command: Command): Command {
  return command
    .option('--manifest <file>', 'JSON file adding foreign variants')
    .option('--database <url>', withDefault('use this MySQL/MariaDB', '$DATABASE_URL, else a private server'))
    .option('--private-db', 'start a private mariadbd/mysqld in a temp dir even when $DATABASE_URL is set (the default otherwise)')
    .option('--workers <n>', withDefault('processes per prefork variant', '2 × server cores + 1'))
    .option('--threads <n>', withDefault('threads per threaded variant', '2 × server cores + 1'))
    .option('--thread-tasks <n>', withDefault('requests each thread of a threaded variant serves at once', RUN_DEFAULTS.threadTasks))
    .option('--db-pool <n>', withDefault('database connections per process or thread', RUN_DEFAULTS.dbPool))
    .option('--backlog <n>', withDefault('listen backlog of the app servers', RUN_DEFAULTS.backlog))
    .addOption(new Option('--app-socket <kind>', withDefault('how nginx reaches the app', 'tcp')).choices(['tcp', 'unix']))
    .option('--upstream-keepalive <n>', withDefault('idle upstream connections per nginx worker, 0 = none', RUN_DEFAULTS.upstreamKeepalive))
    .option('--nginx-workers <n>', withDefault('nginx worker processes', RUN_DEFAULTS.nginxWorkers))
    .option('--nginx-connections <n>', withDefault("nginx's worker_connections", '2 × the users that may be in flight + 512'))
    .option('--nginx-backlog <n>', withDefault("nginx's listen backlog", 'the users that may be in flight, up to net.core.somaxconn'))
    .option('--server-cpus <list>', withDefault('CPUs for db, app and nginx', 'all but the last when there are 2+'))
    .option('--client-cpus <list>', withDefault('CPUs for the client', 'the last one when there are 2+'))
    .option('--no-pin', 'do not pin server and client to separate CPUs');
}

export interface ArrivalDefaults {
  users: number;
  rampSeconds: number;
  timeoutMs: number;
}

/** How users arrive: `run` and `load` take the same words with their own defaults. */
export function arrivalOptions(command: Command, defaults: ArrivalDefaults, modes: readonly string[]): Command {
  return command
    .option('--users <n>', withDefault('users to start', defaults.users))
    .option('--ramp <seconds>', withDefault('seconds over which they arrive', defaults.rampSeconds))
    .option('--timeout <ms>', withDefault('per-request timeout in ms', defaults.timeoutMs))
    .addOption(new Option('--arrival <model>', withDefault('arrival schedule', RUN_DEFAULTS.arrival)).choices(['uniform', 'poisson']))
    .option('--stages <list>', 'arrival-rate stages instead of --users/--ramp: 10s:20,30s:100,10s:0 ramps to 20 users/s over 10 s, …')
    .option('--max-active <n>', 'at most n users in flight; see --on-saturation')
    .addOption(
      new Option(
        '--on-saturation <what>',
        withDefault('at --max-active, an arrival waits for a slot (its wait counts in its time) or is dropped', 'wait'),
      ).choices(['wait', 'drop']),
    )
    .addOption(
      new Option('--mode <model>', withDefault(`open: users arrive on a schedule; ${modes.join(', ')}: see the docs`, 'open')).choices(['open', ...modes]),
    )
    .option('--connections <n>', withDefault('users kept busy in a closed mode', CLOSED_DEFAULTS.connections))
    .option('--duration <seconds>', withDefault('how long a closed mode runs', CLOSED_DEFAULTS.durationSeconds));
}

/** Where a command that starts variants writes its folder, and what it prints. */
export function resultsOptions(command: Command, defaultLabel: string): Command {
  return command
    .option('--out <dir>', 'write results exactly here')
    .option('--label <name>', withDefault('label in the results directory name', defaultLabel))
    .option('--results <dir>', withDefault('parent of timestamped result dirs', RUN_DEFAULTS.resultsDir))
    .option('--json', 'print the results as JSON instead of the table')
    .option('--quiet', 'no progress or log lines: only errors and the results path');
}
