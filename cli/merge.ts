// `benchlab merge`: one result from the shards several clients wrote for one variant, optionally
// audited against the database the variant wrote to, and recorded in its folder's run.json.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Shard } from '../client/merge-results.js';
import type { LoadResult, VariantResult } from '../common/result.js';
import { LabError } from '../common/errors.js';
import type { MarkerAudit } from '../common/integrity.js';
import type { RunInfo } from '../report/run-info.js';
import { action } from './action.js';

export interface RawMergeOptions {
  out?: string;
  database?: string;
  label?: string;
  /** What `benchlab sample-containers` wrote for the measured window: the server side's CPU and memory. */
  resources?: string;
  json?: boolean;
  quiet?: boolean;
}

const UNKNOWN = 'unknown';

/** Files as given, and every *.json in each directory given; the output file itself is never an input. */
function shardFiles(inputs: readonly string[], outFile: string | undefined): string[] {
  const files = new Set<string>();
  for (const input of inputs) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch {
      throw new LabError('BL_ERR_USAGE', `no such file or directory: ${input}`);
    }
    const found = stat.isDirectory()
      ? fs
          .readdirSync(input)
          .filter((name) => name.endsWith('.json'))
          .sort()
          .map((name) => path.join(input, name))
      : [input];
    for (const file of found) if (path.resolve(file) !== outFile) files.add(path.resolve(file));
  }
  if (files.size === 0) throw new LabError('BL_ERR_USAGE', `no result shards (*.json) in ${inputs.join(', ')}`);
  return [...files];
}

const REQUIRED_PATHS = [
  'variant',
  'target',
  'startedAt',
  'durationSeconds',
  'options.users',
  'users.scheduled',
  'errors',
  'sessionTimeUs.histogram',
  'stepTimeUs.get.histogram',
  'stepTimeUs.post.histogram',
  'stepTimeUs.redirect.histogram',
  'latenessUs.histogram',
  'requests.byStatus',
  'posts.acceptedMarkers',
  'backends',
  'workers',
  'timeline',
];

function readShard(file: string): Shard {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new LabError('BL_ERR_USAGE', `cannot read ${file}: ${(error as Error).message}`);
  }
  const missing = REQUIRED_PATHS.find(
    (field) => field.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | null)?.[key], parsed) === undefined,
  );
  if (missing !== undefined) throw new LabError('BL_ERR_USAGE', `${file} is not a benchlab load result (it has no ${missing})`);
  return { source: file, result: parsed as LoadResult };
}

function readRunInfo(file: string): RunInfo | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunInfo;
  } catch (error) {
    throw new LabError('BL_ERR_USAGE', `cannot read ${file}: ${(error as Error).message}`);
  }
}

/** The accepted posts against the database they went to; the warm-up's rows are told apart by their tags. */
async function audit(databaseUrl: string, merged: LoadResult): Promise<{ count: MarkerAudit; version: string }> {
  const { connectExternal } = await import('../lab/stack/database.js');
  const database = await connectExternal(databaseUrl);
  try {
    const tags = merged.markerTags ?? { measured: [], warmup: [] };
    return { count: await database.auditMeasurement(merged.posts.acceptedMarkers, tags), version: database.version };
  } catch (error) {
    throw new LabError('BL_ERR_DATABASE', `cannot audit the posts in ${database.url.replace(/\/\/[^@]*@/, '//')}: ${(error as Error).message}`);
  } finally {
    await database.stop();
  }
}

/** `benchlab merge SHARD...`: files or directories of `benchlab load` results for one variant. */
export async function mergeCommand(inputs: string[], raw: RawMergeOptions): Promise<void> {
  const [{ mergeLoadResults }, { runEnvironment }, { mergedRunInfo }, { loadAsVariant }, { summaryTable }] = await Promise.all([
    import('../client/merge-results.js'),
    import('../lab/environment.js'),
    import('../lab/merge-run-info.js'),
    import('../report/load-as-variant.js'),
    import('../report/summary-table.js'),
  ]);
  const outFile = raw.out === undefined ? undefined : path.resolve(raw.out);
  const shards = shardFiles(inputs, outFile).map(readShard);
  const merged = mergeLoadResults(shards);
  const costs: Partial<Pick<VariantResult, 'server' | 'nginx' | 'database'>> = {};
  const audited = raw.database === undefined ? undefined : await audit(raw.database, merged);
  if (raw.resources !== undefined) {
    const { readResourcesFile, imageMeta } = await import('../lab/stack/container-sampler.js');
    const resources = readResourcesFile(raw.resources);
    const images = imageMeta(resources.containers);
    if (Object.keys(images).length > 0) merged.meta = { ...merged.meta, ...images };
    Object.assign(costs, resources.groups);
  }
  const result = { ...loadAsVariant(merged, audited?.count), ...costs };

  if (outFile !== undefined) {
    const dir = path.dirname(outFile);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
    const runFile = path.join(dir, 'run.json');
    const existing = readRunInfo(runFile);
    const environment = await runEnvironment(
      {
        nginx: merged.meta?.['nginx_image'] ?? existing?.environment.nginx ?? UNKNOWN,
        database: audited?.version ?? existing?.environment.database ?? merged.meta?.['db_image'] ?? UNKNOWN,
      },
      {},
    );
    const run = mergedRunInfo(existing, merged, shards.length, environment, raw.label ?? path.basename(dir));
    fs.writeFileSync(runFile, `${JSON.stringify(run, null, 2)}\n`);
  }
  if (raw.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (!raw.quiet) {
    process.stdout.write(`${shards.length} shard${shards.length === 1 ? '' : 's'} of ${merged.variant} merged${outFile ? ` into ${outFile}` : ''}\n`);
    process.stdout.write(`${summaryTable([result], { color: process.stdout.isTTY === true })}\n`);
  }
}

export function defineMerge(program: Command): Command {
  return program
    .command('merge')
    .description('merge the result shards that several clients wrote for one variant (exact: histograms add)')
    .argument('<shards...>', 'result files, or directories of them')
    .option('--out <file>', 'write the merged result here and record it in run.json beside it')
    .option('--database <url>', 'audit the accepted posts against this database (else integrity is unknown)')
    .option('--label <name>', 'label of a new run.json (default: the folder name)')
    .option('--resources <file>', "the server side's CPU and memory in the measured window, as benchlab sample-containers wrote them")
    .option('--json', 'print the merged result as JSON instead of the table')
    .option('--quiet', 'print nothing (use with --out)')
    .action(action(mergeCommand));
}
