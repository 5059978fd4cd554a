// The machine's speed, probed before and after each variant: a fixed CPU-bound workload on the
// server CPUs and on the client CPUs at once. On a shared VM (which reports no steal time) the host's
// other tenants change this speed between variants, and a comparison across them then measures the
// host as much as the servers.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SpeedProbe } from '../../common/result.js';

const execFileAsync = promisify(execFile);

/** Integer work: xorshift rounds, best of a few tries so that one interrupt does not set the figure. */
const ITERATIONS = 20_000_000;
const TRIES = 3;
const WORKLOAD = `
let x = 2463534242, best = Infinity;
for (let t = 0; t < ${TRIES}; t++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ${ITERATIONS}; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; }
  best = Math.min(best, Number(process.hrtime.bigint() - start));
}
process.stdout.write(JSON.stringify({ ns: best, x }));
`;

/** Millions of workload iterations per second on `cpus` (a taskset list), or null when the probe failed. */
export async function cpuSpeed(cpus: string | undefined): Promise<number | null> {
  try {
    const args = ['-e', WORKLOAD];
    const { stdout } =
      cpus === undefined ? await execFileAsync(process.execPath, args) : await execFileAsync('taskset', ['-c', cpus, process.execPath, ...args]);
    const { ns } = JSON.parse(stdout) as { ns: number };
    return ns > 0 ? Math.round((ITERATIONS / ns) * 1000 * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** Both sides at once, each on its own CPUs; unpinned, one probe on the whole machine. */
export async function probeSpeeds(serverCpus: string | undefined, clientCpus: string | undefined): Promise<SpeedProbe> {
  if (serverCpus === undefined || clientCpus === undefined) return { server: await cpuSpeed(undefined), client: null };
  const [server, client] = await Promise.all([cpuSpeed(serverCpus), cpuSpeed(clientCpus)]);
  return { server, client };
}
