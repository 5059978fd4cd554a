// Each variant's ceiling: closed-model GET / (autocannon, kept-alive connections, every answer a
// fresh user's page with a new token) behind nginx on the server core, with a private MariaDB on
// that core too, beside nginx's own static ceiling on the same core, as a ratio. The page lists 20
// entries, like the static one. Each variant is warmed up first (its code is cold when it starts).
// nginx's static ceiling is taken by wrk too: autocannon tops out below it.
//   npm run bench:server-ceilings [-- --seconds 5 --connections 50]
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { VARIANTS } from '../apps/variants.js';
import { runLoad } from '../client/load.js';
import { openDatabase } from '../lab/run.js';
import { runOptionsFrom } from '../lab/run-options.js';
import { stackOptionsOf } from '../lab/variant-run.js';
import { variantAvailable } from '../lab/stack/variant-command.js';
import { startVariantStack } from '../lab/stack/variant-stack.js';
import { benchCpus, formatRate, integerOptions, machineLine, runBench, table } from './bench-setup.js';
import { runAutocannon, runWrk } from './load-tools.js';
import type { ToolFigure, ToolRun } from './load-tools.js';
import { startStaticTarget } from './static-target.js';

const options = integerOptions({
  /** Measured seconds per variant. */
  seconds: 5,
  connections: 50,
  /** Uncounted seconds of the same load before each variant's measured run. */
  warmup: 5,
});

const PAGE_ENTRIES = 20;

/** Load first (JIT, pools, nginx's upstream connections), then the measured run. */
async function ceiling(run: ToolRun, label: string, warmupSeconds: number): Promise<ToolFigure> {
  await runAutocannon(run, { seconds: warmupSeconds, connections: options.connections, label });
  return runAutocannon(run, { seconds: options.seconds, connections: options.connections, label });
}

runBench('server-ceilings', async (workDir, signal) => {
  const cpus = benchCpus();
  const log = (line: string) => console.log(`  ${line}`);
  console.log(`machine: ${machineLine()}`);
  console.log(
    `servers, nginx and a private MariaDB on CPU ${cpus.server ?? 'any'}, autocannon (${options.connections} connections, ${options.warmup} s warm-up, ${options.seconds} s measured) on CPU ${cpus.client ?? 'any'}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}\n`,
  );
  // The whole server side on its core, the client's core for the client alone (a shared, unpinned database would run on either).
  const runOptions = runOptionsFrom(
    { privateDb: true, ...(cpus.server === undefined ? { pin: false } : { serverCpus: cpus.server, clientCpus: cpus.client }) },
    {},
    os.availableParallelism(),
  );

  const target = await startStaticTarget(cpus.server !== undefined ? { cpus: cpus.server } : {});
  const statics: ToolFigure[] = [];
  try {
    const run = { url: target.url, cpus: cpus.client, workDir };
    statics.push(await ceiling(run, 'nginx static (autocannon)', 1));
    statics.push({ ...(await runWrk(run, options.seconds, options.connections)), tool: 'nginx static (wrk)' });
  } finally {
    await target.stop();
  }
  for (const figure of statics) log(`${figure.tool}: ${figure.missing ?? `${formatRate(figure.requestsPerSecond)} req/s`}`);
  const measuredStatics = statics.filter((figure) => figure.missing === undefined);
  const staticCeiling = Math.max(0, ...measuredStatics.map((figure) => figure.requestsPerSecond));

  const database = await openDatabase(runOptions, log);
  const figures: Array<{ figure: ToolFigure; workers: number }> = [];
  try {
    await database.ensureSchema();
    for (const variant of VARIANTS) {
      if (signal.aborted) break;
      const available = variantAvailable(variant);
      if (!available.ok) {
        log(`${variant.name}: skipped: ${available.why}`);
        continue;
      }
      await database.resetTable();
      const variantDir = path.join(workDir, variant.name);
      fs.mkdirSync(variantDir, { recursive: true });
      const stack = await startVariantStack(variant, stackOptionsOf(runOptions, database, variantDir));
      try {
        const filled = await runLoad(
          { target: stack.target, users: PAGE_ENTRIES, rampSeconds: 0, timeoutMs: 10_000, arrival: 'uniform', expectBackend: variant.name, runTag: 'ceiling' },
          { signal },
        );
        if (filled.users.ok !== PAGE_ENTRIES) throw new Error(`${variant.name}: filling the page failed: ${JSON.stringify(filled.errors)}`);
        const figure = await ceiling({ url: stack.target, cpus: cpus.client, workDir: variantDir }, variant.name, options.warmup);
        figures.push({ figure, workers: stack.workers });
        log(`${variant.name}: ${figure.missing ?? `${formatRate(figure.requestsPerSecond)} req/s`}`);
      } finally {
        await stack.stop();
      }
    }
  } finally {
    await database.stop();
  }

  const rows = [...statics.map((figure) => ({ figure, workers: '-' })), ...figures.map((f) => ({ figure: f.figure, workers: String(f.workers) }))].map(
    ({ figure, workers }) => [
      figure.tool,
      workers,
      figure.missing === undefined ? formatRate(figure.requestsPerSecond) : '-',
      String(figure.errors),
      figure.missing === undefined && staticCeiling > 0 ? (figure.requestsPerSecond / staticCeiling).toFixed(3) : '-',
    ],
  );
  console.log(`\n${table(['server', 'workers', 'GET / req/s', 'errors', '÷ nginx static (best tool)'], rows)}`);
});
