// The lab's own time: how long a private database takes to start, that a run starts it once, each
// variant's set-up until its first measured user, and the whole default `npm run lab`.
// Goals: under 3 s of set-up per variant, the default run within 3 minutes.
//   npm run bench:lab-overhead [-- --private-db-users 300]
import fs from 'node:fs';
import path from 'node:path';
import { startPrivateDatabase } from '../lab/stack/database.js';
import { parseProcStat } from '../lab/stack/sampler.js';
import { benchCpus, integerOptions, machineLine, runBench, table } from './bench-setup.js';
import { RUN_DEFAULTS } from '../common/defaults.js';
import { timedLabRun, variantSetups } from './lab-run-timeline.js';
import { timeVariantPhases } from './variant-phases.js';

const options = integerOptions({
  /** Users of the short --private-db run, which only checks that the database starts once. */
  'private-db-users': 300,
});

const SETUP_GOAL_SECONDS = 3;
const RUN_GOAL_SECONDS = 180;
const DATABASE_SERVERS = new Set(['mariadbd', 'mysqld']);

/** Database servers whose parent is the lab, keyed by pid and start time so a reused pid is not missed. */
function privateServersOf(labPid: number, seen: Set<string>): void {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(fs.readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (stat.ppid === labPid && DATABASE_SERVERS.has(stat.comm)) seen.add(`${stat.pid}:${stat.startTimeTicks}`);
    } catch {
      // gone meanwhile
    }
  }
}

runBench('lab-overhead', async (workDir, signal) => {
  const cpus = benchCpus();
  console.log(`machine: ${machineLine()}\n`);

  console.log('private database: start and stop once on its own');
  const startedMs = performance.now();
  const database = await startPrivateDatabase(cpus.server !== undefined ? { cpus: cpus.server } : {});
  const databaseStartSeconds = (performance.now() - startedMs) / 1000;
  await database.stop();
  console.log(`  ready in ${databaseStartSeconds.toFixed(2)} s (data dir initialised, server up, schema reachable)\n`);
  if (signal.aborted) return;

  console.log("each default variant phase by phase (the lab's own functions, in the order benchlab run calls them):");
  const phases = await timeVariantPhases(workDir, signal, (line) => console.log(`  | ${line}`));
  const phaseRows = phases.map((p) => [
    p.variant,
    p.startSeconds.toFixed(2),
    p.verifySeconds.toFixed(2),
    p.checkAndWarmSeconds.toFixed(2),
    p.stopSeconds.toFixed(2),
  ]);
  console.log(
    `${table(['variant', 'start s', 'verify s', `check + warm-up (${RUN_DEFAULTS.warmupUsers} users over ${RUN_DEFAULTS.warmupRampSeconds} s) s`, 'stop s'], phaseRows)}\n`,
  );
  if (signal.aborted) return;

  console.log(`benchlab run --private-db --users ${options['private-db-users']} --ramp 1: how often is a database server started?`);
  const servers = new Set<string>();
  const privateOut = path.join(workDir, 'private-db');
  const privateRun = await timedLabRun(['--private-db', '--users', String(options['private-db-users']), '--ramp', '1', '--out', privateOut], '  | ', (labPid) =>
    privateServersOf(labPid, servers),
  );
  if (privateRun.code !== 0) throw new Error(`benchlab run --private-db exited with ${privateRun.code}`);
  const variantsRun = variantSetups(privateRun, privateOut).length;
  console.log(`  ${servers.size} private database server(s) started for ${variantsRun} variants in ${privateRun.wallSeconds.toFixed(1)} s\n`);
  if (signal.aborted) return;

  console.log('npm run lab (benchlab run, every default):');
  const out = path.join(workDir, 'default');
  const run = await timedLabRun(['--out', out], '  | ');
  if (run.code !== 0) throw new Error(`benchlab run exited with ${run.code}`);
  const setups = variantSetups(run, out);
  const rows = setups.map((s) => [
    s.variant,
    s.startSeconds.toFixed(2),
    s.checksSeconds.toFixed(2),
    s.firstUserSeconds.toFixed(2),
    s.totalSeconds.toFixed(2),
    s.measuredSeconds.toFixed(2),
  ]);
  console.log(`\n${table(['variant', 'start s', 'verify+check+warm-up s', 'to first user s', 'set-up s', 'measured s'], rows)}`);
  const measured = setups.reduce((sum, s) => sum + s.measuredSeconds, 0);
  console.log(
    `\nwhole run: ${run.wallSeconds.toFixed(1)} s, of which measured ${measured.toFixed(1)} s and the lab's own ${(run.wallSeconds - measured).toFixed(1)} s`,
  );
  const worst = Math.max(...setups.map((s) => s.totalSeconds));
  console.log(`goal (set-up under ${SETUP_GOAL_SECONDS} s per variant): ${worst < SETUP_GOAL_SECONDS ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)} s)`);
  console.log(`goal (default run within ${RUN_GOAL_SECONDS / 60} minutes): ${run.wallSeconds <= RUN_GOAL_SECONDS ? 'met' : 'NOT met'}`);
  console.log(`goal (private database started once per run): ${servers.size === 1 ? 'met' : 'NOT met'}`);
});
