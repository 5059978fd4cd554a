import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startVariantStack as startLabStack, type VariantStack as LabStack } from '../../lab/stack/variant-stack.js';
import { findVariant } from '../../apps/variants.js';

export interface VariantStack extends LabStack {
  /** nginx in front of the variant. */
  url: string;
}

/** The lab's own variant stack (two workers or threads), in a temp dir removed on stop. */
export async function startVariantStack(name: string, databaseUrl: string, cpus: { serverCpus?: string; startCpus?: string } = {}): Promise<VariantStack> {
  const variant = findVariant(name);
  if (!variant) throw new Error(`no variant ${name}`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `benchlab-test-${name}-`));
  try {
    const stack = await startLabStack(variant, {
      databaseUrl,
      workers: 2,
      threads: 2,
      dbPool: 4,
      serverCpus: cpus.serverCpus,
      startCpus: cpus.startCpus,
      workDir,
    });
    return {
      ...stack,
      url: stack.target,
      async stop() {
        await stack.stop();
        fs.rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    fs.rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}
