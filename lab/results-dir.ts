// Reads a results directory back (run.json and <variant>.json), for `benchlab report` and `benchlab compare`.
import { fileNameOf } from './sweep.js';
import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../common/errors.js';
import type { VariantResult } from '../common/result.js';
import type { RunInfo } from '../report/run-info.js';
import { CAPACITY_FILE, type CapacityReport } from '../report/capacity-result.js';
import { asCapacityReport, capacityResultFiles } from './capacity/results.js';

export const RUN_FILE = 'run.json';

export interface ResultsDir {
  dir: string;
  run: RunInfo;
  results: VariantResult[];
  /** false when run.json was missing and `run` was made up from the result files. */
  runInfoFound: boolean;
  /** capacity.json, in the folder of a `benchlab capacity` run. */
  capacity?: CapacityReport;
}

function readJson(file: string): unknown {
  const name = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new LabError('BL_ERR_USAGE', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new LabError('BL_ERR_USAGE', `${file} is not valid JSON (${name}: ${(error as Error).message})`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function asVariantResult(file: string, value: unknown): VariantResult {
  const missing = ['variant', 'users', 'sessionTimeUs', 'stepTimeUs', 'errors', 'server', 'integrity', 'timeline'].filter(
    (field) => !isObject(value) || value[field] === undefined,
  );
  if (missing.length > 0) throw new LabError('BL_ERR_USAGE', `${file} is not a variant result (it lacks ${missing.join(', ')})`);
  return value as VariantResult;
}

function asRunInfo(file: string, value: unknown): RunInfo {
  if (!isObject(value) || !Array.isArray(value['variants']) || !isObject(value['environment']) || !isObject(value['options'])) {
    throw new LabError('BL_ERR_USAGE', `${file} is not a run description (it needs variants, options and environment)`);
  }
  return value as unknown as RunInfo;
}

/** What the report can say about a run whose run.json is gone: the label is the folder's name. */
function minimalRunInfo(dir: string, results: readonly VariantResult[]): RunInfo {
  const started = results
    .map((r) => r.startedAt)
    .filter((t) => typeof t === 'string')
    .sort();
  const unknown = 'unknown';
  return {
    label: path.basename(dir),
    startedAt: started[0] ?? unknown,
    finishedAt: started[started.length - 1] ?? unknown,
    options: {},
    environment: {
      node: unknown,
      nginx: unknown,
      database: unknown,
      os: unknown,
      cpuModel: unknown,
      cores: 0,
      gitCommit: null,
      serverCpus: null,
      clientCpus: null,
      pinned: false,
    },
    variants: results.map((r) => r.variant),
  };
}

/** Result files in run.json's order, then any others by name. */
/** The files run.json lists, in its order; without a list, every result file (rounds of --repeat and the like are not variants). */
function ordered(files: readonly string[], variants: readonly string[]): string[] {
  const listed = variants.map((v) => `${fileNameOf(v)}.json`).filter((f) => files.includes(f));
  return listed.length > 0 ? listed : [...files].sort();
}

export function readResultsDir(dir: string): ResultsDir {
  const resolved = path.resolve(dir);
  if (!fs.existsSync(resolved)) throw new LabError('BL_ERR_USAGE', `no such results directory: ${dir}`);
  if (!fs.statSync(resolved).isDirectory()) throw new LabError('BL_ERR_USAGE', `${dir} is not a directory`);
  const runPath = path.join(resolved, RUN_FILE);
  const runInfoFound = fs.existsSync(runPath);
  const run = runInfoFound ? asRunInfo(runPath, readJson(runPath)) : undefined;
  const capacityPath = path.join(resolved, CAPACITY_FILE);
  const capacity = fs.existsSync(capacityPath) ? asCapacityReport(capacityPath, readJson(capacityPath)) : undefined;
  const files = fs
    .readdirSync(resolved)
    .filter((f) => f.endsWith('.json') && f !== RUN_FILE && f !== CAPACITY_FILE && fs.statSync(path.join(resolved, f)).isFile());
  // A capacity run is shown by each variant's step at its capacity, not by every step.
  const shown = capacity === undefined ? ordered(files, run?.variants ?? []) : capacityResultFiles(capacity).filter((f) => files.includes(f));
  if (shown.length === 0) throw new LabError('BL_ERR_USAGE', `${dir} holds no variant result files (<variant>.json)`);
  const results = shown.map((f) => {
    const file = path.join(resolved, f);
    return asVariantResult(file, readJson(file));
  });
  return { dir: resolved, run: run ?? minimalRunInfo(resolved, results), results, runInfoFound, ...(capacity !== undefined ? { capacity } : {}) };
}
