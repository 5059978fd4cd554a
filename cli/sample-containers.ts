// `benchlab sample-containers`: CPU and memory of the server side's containers during a measured window, for
// compose mode (scripts/compare-docker starts it with the clients' common start and stops it when they are
// done); `benchlab merge --resources FILE` puts what it wrote into the result's cost columns.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseInteger } from '../common/option-parsers.js';
import { optionError } from '../common/errors.js';
import { action } from './action.js';
import { withDefault } from './options.js';

export interface RawSampleContainersOptions {
  group: string[];
  out: string;
  startAt?: string;
  interval?: string;
  dockerSocket?: string;
  quiet?: boolean;
}

// The engine reads a container's cgroup for its stats once a second: asking more often only waits for that.
const DEFAULT_INTERVAL_MS = 1_000;

/** The engine's socket: --docker-socket, else DOCKER_HOST when it names a unix socket, else the usual path. */
function socketPathOf(raw: RawSampleContainersOptions, fallback: string): string {
  if (raw.dockerSocket !== undefined) return raw.dockerSocket;
  const host = process.env['DOCKER_HOST'] ?? '';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : fallback;
}

export async function sampleContainersCommand(raw: RawSampleContainersOptions): Promise<void> {
  const [{ openContainerSampler, parseGroupOption, DEFAULT_DOCKER_SOCKET }, { parseStartAt, waitUntil }] = await Promise.all([
    import('../lab/stack/container-sampler.js'),
    import('../lab/stack/start-time.js'),
  ]);
  if (raw.group.length === 0) throw optionError('--group', 'is required: e.g. --group server=ID --group nginx=ID --group database=ID');
  const groups = new Map(raw.group.map(parseGroupOption));
  if (groups.size !== raw.group.length) throw optionError('--group', "names a group twice: list a group's containers in one --group, comma-separated");
  const intervalMs = parseInteger('--interval', raw.interval ?? String(DEFAULT_INTERVAL_MS), 50, 60_000);
  const startMs = parseStartAt(raw.startAt ?? process.env['BENCHLAB_START_AT'], Date.now());
  const outFile = path.resolve(raw.out);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });

  const sampler = await openContainerSampler({ groups, socketPath: socketPathOf(raw, DEFAULT_DOCKER_SOCKET), intervalMs });
  // SIGTERM (docker stop) or SIGINT ends the window; before the start it ends the wait with nothing sampled.
  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const log = (line: string) => {
    if (!raw.quiet) process.stderr.write(`sample-containers: ${line}\n`);
  };
  log(`${sampler.containers.length} containers: ${sampler.containers.map((c) => `${c.group}=${c.name}`).join(' ')}`);
  try {
    if (startMs !== undefined) await waitUntil(startMs, stopping.signal).catch(() => undefined);
    if (!stopping.signal.aborted) {
      await sampler.begin();
      log(`sampling every ${intervalMs} ms until stopped (SIGTERM or SIGINT)`);
      await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  const resources = await sampler.stop();
  fs.writeFileSync(outFile, `${JSON.stringify(resources, null, 2)}\n`);
  const samples = Object.values(resources.groups).map((g) => g?.samples ?? 0);
  log(`${Math.max(0, ...samples)} samples written to ${outFile}`);
}

export function defineSampleContainers(program: Command): Command {
  return program
    .command('sample-containers')
    .description("sample the CPU and memory of containers (the engine's cgroup figures) until stopped, for merge --resources")
    .option(
      '--group <name=ids>',
      'server, nginx or database, and its container ids or names, comma-separated (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .requiredOption('--out <file>', 'write the per-group summaries here as JSON')
    .option('--start-at <time>', withDefault('take the first sample at this ISO 8601 time or epoch ms', '$BENCHLAB_START_AT, else now'))
    .option('--interval <ms>', withDefault('milliseconds between samples', DEFAULT_INTERVAL_MS))
    .option('--docker-socket <path>', withDefault("the engine's unix socket", '$DOCKER_HOST if unix://, else /var/run/docker.sock'))
    .option('--quiet', 'print nothing')
    .action(action(sampleContainersCommand));
}
