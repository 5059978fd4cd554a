// CPU and memory of containers during a measured window, for compose mode: what lab/stack/sampler.ts reads
// from /proc for the native lab, read from the Docker engine's stats API (GET /containers/ID/stats), which
// reports each container's cgroup whatever the cgroup version or driver: CPU as the cgroup's total usage
// (cpuacct.usage on cgroup v1, cpu.stat usage_usec on v2) and memory as the cgroup's memory usage
// (memory.usage_in_bytes on v1, memory.current on v2: the page cache and tmpfs the container holds count too).
// A group's figures add up its containers, as the native sampler adds up a process tree. The engine reads a
// container's cgroup once a second for its stats (each answer is read after the question, never older), so
// memory is sampled about once a second; CPU is a counter, so the window's CPU time is exact.
import fs from 'node:fs';
import http from 'node:http';
import type { ResourceSummary } from '../../common/result.js';
import { LabError } from '../../common/errors.js';

/** The groups `benchlab merge --resources` puts into a result's server, nginx and database figures. */
export const RESOURCE_GROUPS = ['server', 'nginx', 'database'] as const;
export type ResourceGroup = (typeof RESOURCE_GROUPS)[number];

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
const REQUEST_TIMEOUT_MS = 5_000;
const NS_PER_SECOND = 1e9;

/** One container's counters at one moment. */
export interface ContainerReading {
  /** Total CPU time of the container's cgroup since it started, in nanoseconds. */
  cpuNs: number;
  /** The cgroup's memory usage now, in bytes. */
  memoryBytes: number;
}

export interface SampledContainer {
  group: ResourceGroup;
  id: string;
  name: string;
  /** The image as the container was created from it (a name:tag, or an id). */
  image: string;
  imageId: string;
}

/** What `benchlab sample-containers` writes and `benchlab merge --resources` reads. */
export interface ContainerResources {
  source: string;
  /** The window sampled (ISO 8601): from the first sample at --start-at to the last one at the stop. */
  startedAt: string;
  finishedAt: string;
  intervalMs: number;
  groups: Partial<Record<ResourceGroup, ResourceSummary | null>>;
  containers: SampledContainer[];
}

export const RESOURCES_SOURCE = 'docker engine stats API: cgroup CPU usage, cgroup memory usage (memory.current / memory.usage_in_bytes)';

interface CpuTrack {
  baselineNs: number;
  lastNs: number;
  /** CPU counted before the container restarted (its counter then starts again at zero). */
  carriedNs: number;
}

/** The pure part: readings in, a ResourceSummary per group out. */
export class ContainerTally {
  private readonly cpu = new Map<string, CpuTrack>();
  private readonly memory = new Map<ResourceGroup, { peak: number; total: number; samples: number; containers: Set<string> }>();

  constructor(private readonly groups: ReadonlyMap<ResourceGroup, readonly string[]>) {
    for (const group of groups.keys()) this.memory.set(group, { peak: 0, total: 0, samples: 0, containers: new Set() });
  }

  /** One sample: a reading per container that answered (a container that did not is left out of it). */
  record(readings: ReadonlyMap<string, ContainerReading>): void {
    for (const [group, ids] of this.groups) {
      let memoryBytes = 0;
      let seen = 0;
      for (const id of ids) {
        const reading = readings.get(id);
        if (reading === undefined) continue;
        seen += 1;
        memoryBytes += reading.memoryBytes;
        const track = this.cpu.get(id);
        if (track === undefined) {
          // CPU counts from the first sample: the window's start.
          this.cpu.set(id, { baselineNs: reading.cpuNs, lastNs: reading.cpuNs, carriedNs: 0 });
        } else if (reading.cpuNs < track.lastNs) {
          track.carriedNs += track.lastNs - track.baselineNs;
          track.baselineNs = 0;
          track.lastNs = reading.cpuNs;
        } else {
          track.lastNs = reading.cpuNs;
        }
      }
      if (seen === 0) continue;
      const tally = this.memory.get(group)!;
      for (const id of ids) if (readings.has(id)) tally.containers.add(id);
      tally.samples += 1;
      tally.total += memoryBytes;
      tally.peak = Math.max(tally.peak, memoryBytes);
    }
  }

  /** Per group; null for a group none of whose containers ever answered. */
  summary(): Record<ResourceGroup, ResourceSummary | null> {
    const out = {} as Record<ResourceGroup, ResourceSummary | null>;
    for (const [group, ids] of this.groups) {
      const tally = this.memory.get(group)!;
      if (tally.samples === 0) {
        out[group] = null;
        continue;
      }
      let ns = 0;
      for (const id of ids) {
        const track = this.cpu.get(id);
        if (track !== undefined) ns += track.carriedNs + track.lastNs - track.baselineNs;
      }
      out[group] = {
        cpuSeconds: ns / NS_PER_SECOND,
        rssPeakBytes: tally.peak,
        rssMeanBytes: Math.round(tally.total / tally.samples),
        samples: tally.samples,
        // Containers here: a cgroup's process count is not in the stats the engine reports.
        processes: tally.containers.size,
      };
    }
    return out;
  }
}

/** GET on the engine's unix socket; the unversioned path, so any engine version answers in its own API. */
export function engineGet(socketPath: string, urlPath: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // A connection per request: a kept-alive one made the engine answer a second later, and held the process open.
    const request = http.get(
      { socketPath, path: urlPath, agent: false, timeout: REQUEST_TIMEOUT_MS, headers: { host: 'docker', connection: 'close' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) {
            reject(new Error(`GET ${urlPath}: ${response.statusCode} ${text.trim().slice(0, 200)}`));
            return;
          }
          try {
            resolve(JSON.parse(text));
          } catch (error) {
            reject(new Error(`GET ${urlPath}: not JSON (${(error as Error).message})`));
          }
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}

/** A container's counters from one stats answer; undefined when it is not running (the engine then sends zeros). */
export function readingOf(stats: unknown): ContainerReading | undefined {
  const s = stats as { cpu_stats?: { cpu_usage?: { total_usage?: number } }; memory_stats?: { usage?: number } } | null;
  const cpuNs = s?.cpu_stats?.cpu_usage?.total_usage;
  const memoryBytes = s?.memory_stats?.usage;
  if (typeof cpuNs !== 'number' || typeof memoryBytes !== 'number' || memoryBytes === 0) return undefined;
  return { cpuNs, memoryBytes };
}

async function readContainer(socketPath: string, id: string): Promise<ContainerReading | undefined> {
  try {
    return readingOf(await engineGet(socketPath, `/containers/${encodeURIComponent(id)}/stats?stream=false&one-shot=true`));
  } catch {
    return undefined; // gone, or the engine was slow: this sample goes without it
  }
}

async function describeContainer(socketPath: string, group: ResourceGroup, id: string): Promise<SampledContainer> {
  let inspected: { Id?: string; Name?: string; Image?: string; Config?: { Image?: string }; State?: { Running?: boolean } };
  try {
    inspected = (await engineGet(socketPath, `/containers/${encodeURIComponent(id)}/json`)) as typeof inspected;
  } catch (error) {
    throw new LabError('BL_ERR_USAGE', `cannot inspect container ${id} (${group}) through ${socketPath}: ${(error as Error).message}`);
  }
  if (inspected.State?.Running !== true) throw new LabError('BL_ERR_USAGE', `container ${id} (${group}) is not running`);
  return {
    group,
    id: inspected.Id ?? id,
    name: (inspected.Name ?? '').replace(/^\//, ''),
    image: inspected.Config?.Image ?? '',
    imageId: inspected.Image ?? '',
  };
}

export interface ContainerSamplerOptions {
  groups: ReadonlyMap<ResourceGroup, readonly string[]>;
  socketPath: string;
  intervalMs: number;
}

export interface ContainerSampler {
  containers: SampledContainer[];
  /** Takes the first sample: the window starts here. */
  begin(): Promise<void>;
  /** Takes a last sample and summarizes the window. */
  stop(): Promise<ContainerResources>;
}

/** Checks every container (it must exist and run), then samples them all every intervalMs once begun. */
export async function openContainerSampler(options: ContainerSamplerOptions): Promise<ContainerSampler> {
  const { socketPath, intervalMs } = options;
  const containers: SampledContainer[] = [];
  for (const [group, ids] of options.groups) {
    for (const id of ids) containers.push(await describeContainer(socketPath, group, id));
  }
  // Full ids from here on, whatever the caller gave.
  const groups = new Map<ResourceGroup, string[]>();
  for (const container of containers) groups.set(container.group, [...(groups.get(container.group) ?? []), container.id]);
  const tally = new ContainerTally(groups);
  const ids = containers.map((c) => c.id);

  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  let startedAt = '';
  const sample = async (): Promise<void> => {
    const readings = await Promise.all(ids.map((id) => readContainer(socketPath, id)));
    const map = new Map<string, ContainerReading>();
    readings.forEach((reading, i) => {
      if (reading !== undefined) map.set(ids[i]!, reading);
    });
    if (!stopped) tally.record(map);
  };
  const tick = () => {
    // One sample at a time: a slow engine makes the samples sparser, never piled up.
    if (inFlight !== undefined) return;
    inFlight = sample().finally(() => {
      inFlight = undefined;
    });
  };

  return {
    containers,
    async begin() {
      startedAt = new Date().toISOString();
      await sample();
      timer = setInterval(tick, intervalMs);
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      await inFlight;
      if (startedAt !== '') await sample();
      stopped = true;
      const summary = tally.summary();
      return {
        source: RESOURCES_SOURCE,
        startedAt: startedAt === '' ? new Date().toISOString() : startedAt,
        finishedAt: new Date().toISOString(),
        intervalMs,
        groups: summary,
        containers,
      };
    },
  };
}

/** `--group server=ID,ID`: a group name and its containers. */
export function parseGroupOption(text: string): [ResourceGroup, string[]] {
  const equals = text.indexOf('=');
  const name = equals < 0 ? text : text.slice(0, equals);
  if (!(RESOURCE_GROUPS as readonly string[]).includes(name)) {
    throw new LabError('BL_ERR_OPTION', `option --group must be NAME=ID[,ID...] with NAME one of ${RESOURCE_GROUPS.join(', ')} (got "${text}")`);
  }
  const ids = (equals < 0 ? '' : text.slice(equals + 1))
    .split(/[,\s]+/)
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (ids.length === 0 || ids.some((id) => !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id))) {
    throw new LabError('BL_ERR_OPTION', `option --group ${name} needs container ids or names after '=' (got "${text}")`);
  }
  return [name as ResourceGroup, ids];
}

function isSummary(value: unknown): value is ResourceSummary {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    ['cpuSeconds', 'rssPeakBytes', 'rssMeanBytes', 'samples', 'processes'].every((key) => typeof v[key] === 'number' && Number.isFinite(v[key] as number))
  );
}

/** Reads what `benchlab sample-containers` wrote; a group without samples is null (printed as –). */
export function readResourcesFile(file: string): { groups: Record<ResourceGroup, ResourceSummary | null>; containers: SampledContainer[] } {
  let parsed: Partial<ContainerResources>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ContainerResources>;
  } catch (error) {
    throw new LabError('BL_ERR_USAGE', `cannot read ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.groups !== 'object' || parsed.groups === null) {
    throw new LabError('BL_ERR_USAGE', `${file} is not a benchlab sample-containers file (it has no groups)`);
  }
  const groups = {} as Record<ResourceGroup, ResourceSummary | null>;
  for (const group of RESOURCE_GROUPS) {
    const summary = parsed.groups[group];
    if (summary === undefined || summary === null) groups[group] = null;
    else if (!isSummary(summary)) throw new LabError('BL_ERR_USAGE', `${file}: groups.${group} is not a resource summary`);
    else groups[group] = summary.samples > 0 ? summary : null;
  }
  return { groups, containers: Array.isArray(parsed.containers) ? parsed.containers : [] };
}

/** `image.<group>` facts for a result's meta: which images ran, by name and id. */
export function imageMeta(containers: readonly SampledContainer[]): Record<string, string> {
  const byGroup = new Map<string, Set<string>>();
  for (const { group, image, imageId } of containers) {
    const text = imageId !== '' && imageId !== image ? `${image}@${imageId}` : image;
    if (text === '') continue;
    if (!byGroup.has(group)) byGroup.set(group, new Set());
    byGroup.get(group)!.add(text);
  }
  return Object.fromEntries([...byGroup].map(([group, images]) => [`image.${group}`, [...images].sort().join(',')]));
}
