// `benchlab capacity`: for each variant in turn, the highest arrival rate it sustains within the SLO.
import { probeSpeeds } from '../stack/calibration.js';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { VariantResult } from '../../common/result.js';
import { CAPACITY_FILE, representativeStep, type CapacityReport } from '../../report/capacity-result.js';
import type { RunInfo } from '../../report/run-info.js';
import { writeSummaries } from '../../report/write-results.js';
import { capacitySettings, type CapacityOptions } from './options.js';
import { measureCapacity } from './variant.js';
import { placed } from '../progress/phase-reporter.js';
import { noteSettingsChanged, openDatabase, pointLatest, prepareDatabase, prepareRunFolder, runInfoFor, verificationSummary, type LabHooks } from '../run.js';
import { variantAvailable } from '../stack/variant-command.js';

export interface CapacityRun {
  outDir: string;
  run: RunInfo;
  capacity: CapacityReport;
  /** Per variant, the step that stands for it in the summaries: at its capacity, else its lowest rate. */
  results: VariantResult[];
}

/** run's per-run load options mean nothing here: each step sets its own. */
const NOT_APPLICABLE = { users: undefined, rampSeconds: undefined, repeat: undefined, failOn: undefined };

export async function runCapacity(o: CapacityOptions, hooks: LabHooks): Promise<CapacityRun> {
  const options = o.run;
  const { startedAt, outDir, workDir } = await prepareRunFolder(options, hooks.log);
  const database = await openDatabase(options, hooks.log);
  try {
    const environment = await prepareDatabase(options, database, workDir);
    const runTag = randomBytes(3).toString('hex');
    const settings = capacitySettings(o);
    const run = runInfoFor(options, database, environment, startedAt, { ...NOT_APPLICABLE, ...settings });
    run.verification = {};
    run.notMeasured = [];
    const capacity: CapacityReport = { ...settings, variants: [] };
    const results: VariantResult[] = [];
    const candidates = options.variants.filter((variant) => {
      const available = variantAvailable(variant);
      if (available.ok) return true;
      hooks.log(`${variant.name}: skipped: ${available.why}`);
      run.notMeasured!.push({ variant: variant.name, reason: `not installed: ${available.why}` });
      capacity.variants.push({ variant: variant.name, capacity: null, searchEnd: 'not-measured', steps: [], notMeasured: `not installed: ${available.why}` });
      return false;
    });
    for (const [i, variant] of candidates.entries()) {
      if (hooks.signal.aborted) break;
      const place = { variant: variant.name, index: i + 1, total: candidates.length };
      const progress = placed(hooks.progress, place.index, place.total);
      const ctx = { options, database, workDir, runTag, log: hooks.log, signal: hooks.signal, progress };
      const before = await probeSpeeds(options.serverCpus, options.clientCpus);
      const outcome = await measureCapacity(variant, ctx, o, outDir);
      const after = await probeSpeeds(options.serverCpus, options.clientCpus);
      for (const [rate, result] of outcome.results) {
        result.calibration = { before, after };
        fs.writeFileSync(path.join(outDir, `${variant.name}.${rate}.json`), `${JSON.stringify(result, null, 2)}\n`);
      }
      hooks.progress?.end({ ...place, measured: outcome.capacity.notMeasured === undefined });
      run.verification[variant.name] = verificationSummary(outcome.verification);
      capacity.variants.push(outcome.capacity);
      if (outcome.capacity.notMeasured !== undefined) run.notMeasured.push({ variant: variant.name, reason: outcome.capacity.notMeasured });
      const shown = representativeStep(outcome.capacity);
      if (shown !== null) results.push(outcome.results.get(shown.rate)!);
    }
    // Variants in the order they were chosen, the skipped ones included.
    const order = options.variants.map((v) => v.name);
    capacity.variants.sort((a, b) => order.indexOf(a.variant) - order.indexOf(b.variant));
    run.finishedAt = new Date().toISOString();
    await noteSettingsChanged(run, database);
    fs.writeFileSync(path.join(outDir, CAPACITY_FILE), `${JSON.stringify(capacity, null, 2)}\n`);
    fs.writeFileSync(path.join(outDir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
    await writeSummaries(outDir, run, results, capacity);
    if (options.outDir === undefined) pointLatest(path.resolve(options.resultsDir), outDir);
    return { outDir, run, capacity, results };
  } finally {
    await database.stop();
  }
}
