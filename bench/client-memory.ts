// The client's memory for the original's load: 2000 users over 10 s as four shards of 500, four
// `benchlab load` processes at once against the static target; then the four shards as four event
// loops of one process (`benchlab load --threads 4`); then the same users in as many processes as
// `benchlab run` would start here (one per client CPU). Goal: under 200 MB peak RSS in total.
//   npm run bench:client-memory [-- --shards 4 --users 500 --ramp 10]
import { benchCpus, integerOptions, machineLine, runBench, table } from './bench-setup.js';
import { runScenarioClient } from './load-tools.js';
import { STATIC_BACKEND, startStaticTarget } from './static-target.js';

const options = integerOptions({
  shards: 4,
  /** Users of each shard. */
  users: 500,
  /** Seconds over which each shard's users arrive. */
  ramp: 10,
});

const MB = 1024 * 1024;
const GOAL_MB = 200;

runBench('client-memory', async (workDir) => {
  const cpus = benchCpus();
  console.log(`machine: ${machineLine()}`);
  console.log(
    `${options.shards} client processes of ${options.users} users over ${options.ramp} s on CPU ${cpus.client ?? 'any'}, static nginx on CPU ${cpus.server ?? 'any'}`,
  );
  const target = await startStaticTarget(cpus.server !== undefined ? { cpus: cpus.server } : {});
  try {
    const run = { url: target.url, cpus: cpus.client, workDir };
    const shards = await Promise.all(
      Array.from({ length: options.shards }, (_, i) =>
        runScenarioClient(run, { users: options.users, rampSeconds: options.ramp, expectBackend: STATIC_BACKEND, checkOwnPost: false, name: `shard-${i + 1}` }),
      ),
    );
    const mb = (bytes: number) => (bytes / MB).toFixed(1);
    const rows = shards.map((shard, i) => [
      `shard ${i + 1}`,
      shard.missing === undefined ? `${shard.result!.users.ok}/${shard.result!.users.scheduled}` : shard.missing,
      String(shard.errors),
      mb(shard.peakRssBytes),
      mb(shard.peakAnonBytes),
      mb(shard.peakFileBytes),
    ]);
    const sum = (pick: (shard: (typeof shards)[number]) => number) => shards.reduce((total, shard) => total + pick(shard), 0);
    const hwmTotal = sum((shard) => shard.peakRssBytes);
    // File pages (node's code) are the same pages in every process: physically they count once.
    const physicalTotal = sum((shard) => shard.peakAnonBytes) + Math.max(...shards.map((shard) => shard.peakFileBytes));
    rows.push(['total', '', '', mb(hwmTotal), mb(sum((shard) => shard.peakAnonBytes)), '']);
    console.log(`\n${table(['process', 'users ok', 'failed', 'peak RSS MB (VmHWM)', 'private MB', 'file-backed MB'], rows)}`);
    const verdict = (bytes: number) => (bytes / MB < GOAL_MB ? 'met' : 'NOT met');
    console.log(`\ngoal (under ${GOAL_MB} MB in total):`);
    console.log(`  sum of VmHWM, node's shared code counted once per process: ${mb(hwmTotal)} MB, ${verdict(hwmTotal)}`);
    console.log(`  private peaks plus the shared file pages once:             ${mb(physicalTotal)} MB, ${verdict(physicalTotal)}`);

    // The four shards as four event loops of one process: node's code and built-ins once.
    const total = options.shards * options.users;
    const threaded = await runScenarioClient(run, {
      users: total,
      rampSeconds: options.ramp,
      expectBackend: STATIC_BACKEND,
      checkOwnPost: false,
      name: 'threaded-client',
      threads: options.shards,
    });
    const threadedOk = threaded.missing === undefined ? `${threaded.result!.users.ok}/${threaded.result!.users.scheduled}` : threaded.missing;
    console.log(`\nthe ${options.shards} shards as ${options.shards} event loops of one process (benchlab load --threads ${options.shards}):`);
    console.log(
      `  users ok ${threadedOk}; peak RSS (VmHWM) ${mb(threaded.peakRssBytes)} MB (private ${mb(threaded.peakAnonBytes)}, file-backed ${mb(threaded.peakFileBytes)}), ${verdict(threaded.peakRssBytes)}`,
    );

    // How `benchlab run` carries the same load here: one client process per client CPU.
    const perCore = cpus.client === undefined ? 1 : cpus.client.split(',').length;
    const lab = await Promise.all(
      Array.from({ length: perCore }, (_, i) =>
        runScenarioClient(run, {
          users: Math.ceil(total / perCore),
          rampSeconds: options.ramp,
          expectBackend: STATIC_BACKEND,
          checkOwnPost: false,
          name: `lab-client-${i + 1}`,
        }),
      ),
    );
    const labHwm = lab.reduce((sum, client) => sum + client.peakRssBytes, 0);
    const labOk = lab
      .map((client) => (client.missing === undefined ? `${client.result!.users.ok}/${client.result!.users.scheduled}` : client.missing))
      .join(', ');
    console.log(`\nthe same ${total} users over ${options.ramp} s as benchlab run carries them here, ${perCore} client process(es), one per client CPU:`);
    console.log(`  users ok ${labOk}; sum of VmHWM ${mb(labHwm)} MB, ${verdict(labHwm)}`);
  } finally {
    await target.stop();
  }
});
