// A variant's set-up phase by phase, with the lab's own functions in the order `benchlab run` calls
// them: start (app + nginx until /healthz; verification's copy without a database starts alongside on
// the client CPUs), verification (its last line, on that copy, after the warm-up), the contract check
// with the warm-up, stop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VARIANT_SETS, findVariant } from '../apps/variants.js';
import { RUN_DEFAULTS } from '../common/defaults.js';
import { openDatabase } from '../lab/run.js';
import { runOptionsFrom } from '../lab/run-options.js';
import { checkAndWarm, startAndVerify } from '../lab/variant-run.js';

export interface VariantPhases {
  variant: string;
  startSeconds: number;
  verifySeconds: number;
  /** One user through the contract, then the uncounted warm-up users. */
  checkAndWarmSeconds: number;
  stopSeconds: number;
}

const since = (startMs: number) => (performance.now() - startMs) / 1000;

/** The default variants with the run's defaults, pinned as `benchlab run` pins them. */
export async function timeVariantPhases(workDir: string, signal: AbortSignal, log: (line: string) => void): Promise<VariantPhases[]> {
  const options = runOptionsFrom({}, process.env, os.availableParallelism());
  const database = await openDatabase(options, log);
  const phases: VariantPhases[] = [];
  try {
    await database.ensureSchema();
    for (const name of VARIANT_SETS[RUN_DEFAULTS.variants] ?? []) {
      const variant = findVariant(name);
      if (variant === undefined || signal.aborted) continue;
      const dir = path.join(workDir, `phases-${name}`);
      fs.mkdirSync(dir, { recursive: true });
      const ctx = { options, database, workDir: dir, runTag: 'phase', log, signal };
      let at = performance.now();
      const started = await startAndVerify(variant, ctx);
      const startSeconds = started.stack.startMs / 1000;
      const timing: VariantPhases = { variant: name, startSeconds, verifySeconds: since(at) - startSeconds, checkAndWarmSeconds: 0, stopSeconds: 0 };
      try {
        at = performance.now();
        await checkAndWarm(started.stack, ctx);
        timing.checkAndWarmSeconds = since(at);
        // As in a run: the line that waits for the copy without a database comes after the warm-up.
        at = performance.now();
        await started.complete();
        timing.verifySeconds += since(at);
      } finally {
        at = performance.now();
        await started.release();
        await started.stack.stop();
        timing.stopSeconds = since(at);
      }
      phases.push(timing);
    }
  } finally {
    await database.stop();
  }
  return phases;
}
