import fs from 'node:fs';
import path from 'node:path';
import { runConformance } from '../client/conformance/checks.js';
import { verificationOf, type Verification } from '../client/conformance/finding.js';
import { freePort } from './ports.js';
import { startVariantStack, type VariantStack, type VariantStackOptions } from './variant-stack.js';
import type { Database } from './database.js';

/**
 * Checks a running variant against the whole contract. For `/healthz` with the database down it
 * starts a second copy of the variant pointed at a port where no database listens.
 */
export async function verifyStack(stack: VariantStack, database: Database, options: VariantStackOptions, tag: string): Promise<Verification> {
  const findings = await runConformance({
    target: stack.target,
    expectBackend: stack.variant.name,
    tag,
    countRows: () => database.countRows(),
    healthzWithDatabaseDown: async () => {
      const workDir = path.join(options.workDir, `${stack.variant.name}-no-db`);
      fs.mkdirSync(workDir, { recursive: true });
      const deadDatabase = `mysql://benchlab@127.0.0.1:${await freePort()}/benchlab`;
      const down = await startVariantStack(stack.variant, { ...options, workers: 1, threads: 1, databaseUrl: deadDatabase, workDir, expectHealthy: false });
      try {
        const res = await fetch(`${down.target}/healthz`, { signal: AbortSignal.timeout(10_000) });
        return { status: res.status, headers: res.headers, text: await res.text() };
      } finally {
        await down.stop();
      }
    },
  });
  return verificationOf(stack.target, stack.variant.name, findings);
}
