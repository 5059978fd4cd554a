// How fast each load tool goes on one core against nginx answering the scenario statically on another,
// and benchlab's scenario client beside them. Goal: benchlab's client at or above ab's req/s.
//   npm run bench:client-ceiling [-- --seconds 4 --users 60000 --connections 50 --rounds 3]
import { clockTicksPerSecond, readProcStat, selfAndChildren } from '../lab/stack/sampler.js';
import { benchCpus, formatRate, integerOptions, machineLine, runBench, table } from './bench-setup.js';
import { runAb, runAutocannon, runScenarioClient, runWrk } from './load-tools.js';
import type { ToolFigure, ToolRun } from './load-tools.js';
import { STATIC_BACKEND, startStaticTarget } from './static-target.js';

const options = integerOptions({
  /** How long ab, autocannon and wrk each run. */
  seconds: 4,
  /** Users of benchlab's client, all due at once: three requests each. */
  users: 60_000,
  /** Connections of ab, autocannon and wrk. */
  connections: 50,
  /** Each tool runs this many times; the best run counts (a busy machine only ever slows a tool). */
  rounds: 3,
});

/** CPU seconds used so far by nginx's master and worker. */
function nginxCpuSeconds(masterPid: number): number {
  const ticks = selfAndChildren(masterPid).reduce((sum, pid) => sum + (readProcStat(pid)?.cpuTicks ?? 0), 0);
  return ticks / clockTicksPerSecond();
}

runBench('client-ceiling', async (workDir, signal) => {
  const cpus = benchCpus();
  console.log(`machine: ${machineLine()}`);
  console.log(`nginx (1 worker) on CPU ${cpus.server ?? 'any'}, each tool on CPU ${cpus.client ?? 'any'}, one at a time`);
  const target = await startStaticTarget(cpus.server !== undefined ? { cpus: cpus.server } : {});
  try {
    console.log(`static target: ${target.url}, GET / a ${target.pageBytes}-byte page, POST / a 302\n`);
    const run: ToolRun = { url: target.url, cpus: cpus.client, workDir };
    const best = new Map<string, ToolFigure & { nginxCpu: number }>();
    /** Runs one tool; nginx's CPU over the tool's run tells whether nginx or the tool was the limit. */
    const measure = async (tool: () => Promise<ToolFigure>) => {
      const nginxBefore = nginxCpuSeconds(target.process.pid);
      const figure = await tool();
      const nginxCpu = figure.seconds > 0 ? (nginxCpuSeconds(target.process.pid) - nginxBefore) / figure.seconds : 0;
      const known = best.get(figure.tool);
      if (known === undefined || known.missing !== undefined || figure.requestsPerSecond > known.requestsPerSecond)
        best.set(figure.tool, { ...figure, nginxCpu });
      const rate = figure.missing ?? `${formatRate(figure.requestsPerSecond)} req/s`;
      console.log(`  ${figure.tool}: ${rate}`);
    };
    for (let round = 1; round <= options.rounds && !signal.aborted; round++) {
      if (options.rounds > 1) console.log(`round ${round} of ${options.rounds}`);
      await measure(() => runScenarioClient(run, { users: options.users, rampSeconds: 0, expectBackend: STATIC_BACKEND, checkOwnPost: false }));
      if (signal.aborted) break;
      await measure(() => runAb(run, options.seconds, options.connections));
      if (signal.aborted) break;
      await measure(() => runAutocannon(run, { seconds: options.seconds, connections: options.connections }));
      if (signal.aborted) break;
      await measure(() => runWrk(run, options.seconds, options.connections));
    }
    if (signal.aborted) return;
    const benchlab = best.get('benchlab load')!;
    const rows = [...best.values()].map((figure) => [
      figure.tool,
      figure.missing === undefined ? formatRate(figure.requestsPerSecond) : '-',
      String(figure.requests),
      figure.seconds.toFixed(2),
      String(figure.errors),
      figure.missing === undefined ? `${Math.round((100 * figure.cpuSeconds) / figure.seconds)}%` : '-',
      figure.missing === undefined ? `${Math.round(100 * figure.nginxCpu)}%` : '-',
      figure.missing === undefined && benchlab.missing === undefined ? (benchlab.requestsPerSecond / figure.requestsPerSecond).toFixed(2) : '-',
      figure.missing ??
        (figure.tool === 'benchlab load'
          ? 'new connection per user, 3 requests'
          : figure.tool === 'ab'
            ? 'new connection per request'
            : 'kept-alive connections'),
    ]);
    console.log(`\n${table(['tool', 'req/s', 'requests', 'seconds', 'errors', 'tool CPU', 'nginx CPU', 'benchlab ÷ tool', 'connections'], rows)}`);
    const ab = best.get('ab');
    if (benchlab.missing === undefined && ab !== undefined && ab.missing === undefined) {
      const met = benchlab.requestsPerSecond >= ab.requestsPerSecond;
      console.log(`\ngoal (benchlab's client at or above ab on one core): ${met ? 'met' : 'NOT met'}`);
    }
  } finally {
    await target.stop();
  }
});
