import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { benchlabProgram } from '../../cli/program.js';
import { loadSettingsFrom } from '../../cli/load.js';
import { serveOptionsFrom } from '../../cli/serve.js';
import { runOptionsFrom } from '../../lab/run-options.js';
import { capacityOptionsFrom } from '../../lab/capacity/options.js';
import { sloText } from '../../common/slo.js';
import { kernelBacklogCap } from '../../lab/stack/nginx-limits.js';

// What --help says an option defaults to must be what the command then uses: each default shown is
// checked here against the options the command resolves when the option is left out.

const CORES = 4; // pinned by default: server CPUs 0-2, client CPU 3
const ENV = { DATABASE_URL: 'mysql://someone@db.example:3306/guestbook' };
const DATABASE = 'mysql://root@127.0.0.1:3306/benchlab';

function helpDefaults(name: string): Map<string, string> {
  const command = benchlabProgram().commands.find((c: Command) => c.name() === name);
  assert.ok(command, `no command ${name}`);
  const defaults = new Map<string, string>();
  for (const option of command.options) {
    const shown = /\(default: (.*)\)$/.exec(option.description)?.[1];
    if (shown !== undefined) defaults.set(option.long!, shown);
  }
  return defaults;
}

/** Each option with a default in --help, and what the command resolves for it when it is not given. */
function expectEveryDefault(name: string, used: Record<string, unknown>): void {
  const shown = helpDefaults(name);
  assert.deepEqual([...shown.keys()].sort(), Object.keys(used).sort(), `${name}: the options whose default --help shows are the ones checked here`);
  for (const [flag, text] of shown) {
    assert.equal(text, String(used[flag]), `benchlab ${name} ${flag}: --help says ${text}, the command uses ${String(used[flag])}`);
  }
}

describe('defaults shown by --help are the ones the commands use', () => {
  it('run', () => {
    const o = runOptionsFrom({}, ENV, CORES);
    const local = runOptionsFrom({}, {}, CORES);
    const closed = runOptionsFrom({ mode: 'closed' }, {}, CORES).closed!;
    const capped = runOptionsFrom({ maxActive: '5' }, {}, CORES);
    // Prose defaults are held to the figures they describe on a 4-core machine.
    assert.equal(o.workers, 2 * 3 + 1);
    assert.equal(o.threads, 2 * 3 + 1);
    assert.equal(o.serverCpus, '0,1,2');
    assert.equal(o.clientCpus, '3');
    assert.equal(o.clientProcs, 1);
    assert.equal(o.databaseUrl, ENV.DATABASE_URL);
    assert.equal(local.databaseUrl, undefined, 'without DATABASE_URL the lab tries 127.0.0.1:3306, else a private server');
    assert.deepEqual(
      o.variants.map((v) => v.name),
      ['prefork', 'threaded', 'fastcgi'],
    );
    assert.equal(o.label, 'design');
    assert.equal(o.nginxLimits.connections, 2 * o.users + 512, 'nginx sized for every scheduled user in flight');
    assert.equal(o.nginxLimits.backlog, Math.min(o.users, kernelBacklogCap() ?? o.users));
    expectEveryDefault('run', {
      '--database': '$DATABASE_URL, else a private server',
      '--workers': '2 × server cores + 1',
      '--threads': '2 × server cores + 1',
      '--thread-tasks': o.threadTasks,
      '--db-pool': o.dbPool,
      '--backlog': o.backlog,
      '--app-socket': o.appSocket,
      '--upstream-keepalive': o.upstreamKeepalive,
      '--nginx-workers': o.nginxWorkers,
      '--nginx-connections': '2 × the users that may be in flight + 512',
      '--nginx-backlog': 'the users that may be in flight, up to net.core.somaxconn',
      '--server-cpus': 'all but the last when there are 2+',
      '--client-cpus': 'the last one when there are 2+',
      '--variants': 'design',
      '--users': o.users,
      '--ramp': o.rampSeconds,
      '--timeout': o.timeoutMs,
      '--arrival': o.arrival,
      '--on-saturation': capped.onSaturation,
      '--mode': o.closed === undefined ? 'open' : 'closed',
      '--connections': closed.connections,
      '--duration': closed.durationSeconds,
      '--label': 'the variants',
      '--results': o.resultsDir,
      '--client-procs': 'one per client CPU',
      '--client-threads': o.clientThreads,
      '--max-lateness': o.maxLatenessMs,
      '--repeat': o.repeat,
      '--warmup-users': o.warmupUsers,
      '--slo': o.slo,
    });
  });

  it('capacity', () => {
    const c = capacityOptionsFrom({}, ENV, CORES);
    assert.equal(c.run.timeoutMs, 2000, "2 × the default SLO's 1 s");
    assert.equal(c.run.label, 'capacity-design');
    assert.equal(c.run.nginxLimits.connections, 2 * c.search.maxRate * c.stepSeconds + 512, 'nginx sized for the highest rate the search may try');
    expectEveryDefault('capacity', {
      '--database': '$DATABASE_URL, else a private server',
      '--workers': '2 × server cores + 1',
      '--threads': '2 × server cores + 1',
      '--thread-tasks': c.run.threadTasks,
      '--db-pool': c.run.dbPool,
      '--backlog': c.run.backlog,
      '--app-socket': c.run.appSocket,
      '--upstream-keepalive': c.run.upstreamKeepalive,
      '--nginx-workers': c.run.nginxWorkers,
      '--nginx-connections': '2 × the users that may be in flight + 512',
      '--nginx-backlog': 'the users that may be in flight, up to net.core.somaxconn',
      '--server-cpus': 'all but the last when there are 2+',
      '--client-cpus': 'the last one when there are 2+',
      '--variants': 'design',
      '--slo': sloText(c.slo),
      '--start-rate': c.search.startRate,
      '--max-rate': c.search.maxRate,
      '--step-seconds': c.stepSeconds,
      '--steps': c.search.maxSteps,
      '--confirm': c.search.confirmations,
      '--timeout': "2 × the SLO's slowest time limit, 1000 to 10000",
      '--warmup-users': c.run.warmupUsers,
      '--label': 'capacity-<variants>',
      '--results': c.run.resultsDir,
    });
  });

  it('load', () => {
    const s = loadSettingsFrom({ target: 'http://127.0.0.1:8080' }, {});
    const closed = loadSettingsFrom({ target: 'http://127.0.0.1:8080', mode: 'closed' }, {}).closed!;
    const capped = loadSettingsFrom({ target: 'http://127.0.0.1:8080', maxActive: '5' }, {}).options;
    assert.equal(s.startMs, undefined, 'starts now');
    assert.match(s.options.runTag!, /^[a-z0-9]+-[0-9a-f]{6}$/, 'a random run tag');
    assert.equal(s.options.variant, 'http://127.0.0.1:8080/', 'labelled by the target');
    expectEveryDefault('load', {
      '--users': s.options.users,
      '--ramp': s.options.rampSeconds,
      '--timeout': s.options.timeoutMs,
      '--arrival': s.options.arrival,
      '--on-saturation': capped.onSaturation,
      '--mode': s.mode,
      '--connections': closed.connections,
      '--duration': closed.durationSeconds,
      '--seed': s.options.seed,
      '--label': 'the target',
      '--threads': s.threads,
      '--run-tag': 'random',
      '--start-at': '$BENCHLAB_START_AT, else now',
      '--warmup-users': s.warmupUsers,
      '--self-warm-users': s.selfWarmUsers,
    });
  });

  it('serve', () => {
    const o = serveOptionsFrom({ variant: 'prefork', listen: '127.0.0.1:9000' }, { DATABASE_URL: DATABASE });
    assert.equal(o.databaseUrl, DATABASE);
    expectEveryDefault('serve', {
      '--database': '$DATABASE_URL',
      '--workers': '2 × cores + 1',
      '--threads': '2 × cores + 1',
      '--thread-tasks': o.threadTasks,
      '--db-pool': o.dbPool,
      '--backlog': o.backlog,
    });
  });

  it('verify', () => {
    const o = runOptionsFrom({}, ENV, CORES);
    expectEveryDefault('verify', {
      '--variants': 'design',
      '--database': '$DATABASE_URL, else a private server',
      '--app-socket': o.appSocket,
    });
  });

  it('a wrong default would be seen', () => {
    assert.throws(() => assert.equal('4000', String(500)));
  });
});
