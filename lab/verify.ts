import fs from 'node:fs';
import path from 'node:path';
import { databaseDownFinding, runConformance } from '../client/conformance/checks.js';
import type { Answer } from '../client/conformance/contract-http.js';
import { verificationOf, type Verification } from '../common/finding.js';
import { freePort } from './stack/ports.js';
import { startVariantStack, type VariantStack, type VariantStackOptions } from './stack/variant-stack.js';
import type { Database } from './stack/database.js';
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
  const down = await startVariantStack(variant, {
    ...options,
    workers: 1,
    threads: 1,
    databaseUrl: deadDatabase,
    workDir,
    serverCpus: cpus,
    startCpus: undefined,
    niceness: COPY_NICENESS,
    expectHealthy: false,
  });
  return {
    async healthz() {
      const res = await fetch(`${down.target}/healthz`, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
    stop: () => down.stop(),
  };
}

/** Every contract line but `/healthz` answering 503, which waits for its copy: `complete` adds it. */
export interface PartialVerification {
  verification: Verification;
  /** Checks /healthz on the copy without a database, stops the copy, and gives the whole verification. */
  complete(): Promise<Verification>;
  /** Stops the copy (idempotent); for a run that ends before `complete`. */
  release(): Promise<void>;
}

/**
 * Checks a running variant against the contract, all but the line that needs the copy without a
 * database: a caller can let that copy finish starting meanwhile (during the warm-up) and complete
 * the verification before it measures.
 */
export async function verifyAllButDatabaseDown(
  stack: VariantStack,
  database: Database,
  tag: string,
  withoutDatabase: Promise<CopyWithoutDatabase>,
): Promise<PartialVerification> {
  let released: Promise<void> | undefined;
  const release = () =>
    (released ??= withoutDatabase.then(
      (c) => c.stop(),
      () => undefined,
    ));
  try {
    const findings = await runConformance({
      target: stack.target,
      expectBackend: stack.variant.name,
      tag,
      countRows: () => database.countRows(),
      healthzWithDatabaseDown: 'separately',
    });
    return {
      verification: verificationOf(stack.target, stack.variant.name, findings),
      async complete() {
        try {
          const down = await databaseDownFinding(async () => (await withoutDatabase).healthz());
          // In the contract's order: right after /healthz answering 200.
          const at = findings.findIndex((f) => f.id === 'healthz.up') + 1;
          return verificationOf(stack.target, stack.variant.name, [...findings.slice(0, at), down, ...findings.slice(at)]);
        } finally {
          await release();
        }
      },
      release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Checks a running variant against the whole contract; `withoutDatabase` is a copy started beforehand, or one starts here. */
export async function verifyStack(
  stack: VariantStack,
  database: Database,
  options: VariantStackOptions,
  tag: string,
  withoutDatabase?: Promise<CopyWithoutDatabase>,
): Promise<Verification> {
  const copy = withoutDatabase ?? startCopyWithoutDatabase(stack.variant, options);
  // Awaited by the check; a failure to start shows there as a failed line.
  copy.catch(() => undefined);
  return (await verifyAllButDatabaseDown(stack, database, tag, copy)).complete();
}
