import { after, before } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startVariantStack, type VariantStack } from './variant-stack.js';
import { TEST_DATABASE_URL, testDatabase } from './test-database.js';
import type { Database } from '../../lab/stack/database.js';

export interface StackFixture {
  stack: VariantStack;
  db: Database;
  /** A temp folder removed afterwards. */
  dir: string;
}

/** For a describe block: an empty table, the variant behind nginx, and a temp folder, all gone afterwards. */
export function useVariantStack(variant: string): StackFixture {
  const fixture = {} as StackFixture;
  before(async () => {
    fixture.db = await testDatabase();
    await fixture.db.ensureSchema();
    await fixture.db.resetTable();
    fixture.stack = await startVariantStack(variant, TEST_DATABASE_URL);
    fixture.dir = fs.mkdtempSync(path.join(os.tmpdir(), `benchlab-${variant}-`));
  });
  after(async () => {
    await fixture.stack?.stop();
    await fixture.db?.stop();
    if (fixture.dir) fs.rmSync(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}
