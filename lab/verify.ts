import fs from 'node:fs';
import path from 'node:path';
import { runConformance } from '../client/conformance/checks.js';
import type { Answer } from '../client/conformance/contract-http.js';
import { verificationOf, type Verification } from '../client/conformance/finding.js';
import { freePort } from './ports.js';
import { startVariantStack, type VariantStack, type VariantStackOptions } from './variant-stack.js';
import type { Database } from './database.js';
import type { VariantSpec } from '../apps/variants.js';

const COPY_NICENESS = 19;

/** A second copy of a variant, with its own nginx, pointed at a port where no database listens. */
export interface CopyWithoutDatabase {
  /** GET /healthz through its nginx. */
  healthz(): Promise<Answer>;
  stop(): Promise<void>;
}

/**
 * Starts the copy whose /healthz must answer 503; `cpus` pins it apart from the measured stack. It
 * runs niced: started beside the measured stack, it takes only the CPU time that stack leaves.
 */
export async function startCopyWithoutDatabase(variant: VariantSpec, options: VariantStackOptions, cpus = options.serverCpus): Promise<CopyWithoutDatabase> {
  const workDir = path.join(options.workDir, `${variant.name}-no-db`);
  fs.mkdirSync(workDir, { recursive: true });
  const deadDatabase = `mysql://benchlab@127.0.0.1:${await freePort()}/benchlab`;
  const down = await startVariantStack(variant, { ...options, workers: 1, threads: 1, databaseUrl: deadDatabase, workDir, serverCpus: cpus, startCpus: undefined, niceness: COPY_NICENESS, expectHealthy: false });
  return {
    async healthz() {
      const res = await fetch(`${down.target}/healthz`, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
    stop: () => down.stop(),
  };
}

/**
 * Checks a running variant against the whole contract. For `/healthz` with the database down it
 * uses `withoutDatabase`, a copy started beforehand, or starts one; either way it is stopped here.
 */
export async function verifyStack(
  stack: VariantStack,
  database: Database,
  options: VariantStackOptions,
  tag: string,
  withoutDatabase?: Promise<CopyWithoutDatabase>,
): Promise<Verification> {
  let copy = withoutDatabase;
  try {
    const findings = await runConformance({
      target: stack.target,
      expectBackend: stack.variant.name,
      tag,
      countRows: () => database.countRows(),
      healthzWithDatabaseDown: async () => (await (copy ??= startCopyWithoutDatabase(stack.variant, options))).healthz(),
    });
    return verificationOf(stack.target, stack.variant.name, findings);
  } finally {
    await copy?.then((c) => c.stop(), () => undefined);
  }
}
