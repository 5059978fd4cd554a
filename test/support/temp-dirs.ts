import { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** For a test file: `tempOut(name)` gives a path in a fresh temp folder; every folder goes after the file. */
export function tempOutputs(prefix: string): (name: string) => string {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  return (name) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    dirs.push(dir);
    return path.join(dir, name);
  };
}
