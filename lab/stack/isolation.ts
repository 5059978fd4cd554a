// Whether a measured window kept to its CPUs: the server side confined (checked in /proc), and how
// much of the client CPUs anything but the client used.
import type { Isolation, LoadResult } from '../../common/result.js';
import type { RunOptions } from '../run-options.js';
import { cpuSet, strayProcesses } from './confine.js';
import type { CpuTicks } from './cpu-ticks.js';
import type { Database } from './database.js';
import { clockTicksPerSecond, processTree } from './sampler.js';
import type { VariantStack } from './variant-stack.js';

/**
 * Whether the window kept to its CPUs: every thread of the app, nginx and a database on this
 * machine allowed only on the server CPUs (read in /proc as the window closes), and how much of the
 * client CPUs something other than the client used meanwhile (their busy time minus the client's own).
 */
export function isolationOf(
  stack: VariantStack,
  ctx: { options: Pick<RunOptions, 'serverCpus' | 'clientCpus'>; database: Pick<Database, 'pids'> },
  before: Map<string, CpuTicks> | undefined,
  after: Map<string, CpuTicks> | undefined,
  result: LoadResult,
): Isolation {
  const { serverCpus, clientCpus } = ctx.options;
  if (serverCpus === undefined || clientCpus === undefined) return { pinned: false, serverCpus: null, clientCpus: null, strays: [], clientCpusOthers: null };
  const server = processTree([stack.app.pid]);
  const groups: Array<[string, number[]]> = [
    ['app', server],
    ['nginx', stack.nginx.pids()],
    ['database', ctx.database.pids()],
  ];
  const strays = groups.flatMap(([name, pids]) => strayProcesses(pids, serverCpus).map((pid) => `${name} ${pid}`));
  let clientCpusOthers: Isolation['clientCpusOthers'] = null;
  if (before !== undefined && after !== undefined && result.client !== undefined) {
    const cpus = cpuSet(clientCpus).map((c) => `cpu${c}`);
    const ticksPerSecond = clockTicksPerSecond();
    let busy = 0;
    let total = 0;
    for (const cpu of cpus) {
      const a = before.get(cpu);
      const b = after.get(cpu);
      if (a === undefined || b === undefined) continue;
      busy += (b.busy - a.busy) / ticksPerSecond;
      total += (b.total - a.total) / ticksPerSecond;
    }
    const others = Math.max(0, busy - result.client.cpuSeconds);
    clientCpusOthers = { cpuSeconds: Math.round(others * 1000) / 1000, percent: total > 0 ? Math.round((1000 * others) / total) / 10 : 0 };
  }
  return { pinned: true, serverCpus, clientCpus, strays, clientCpusOthers };
}
