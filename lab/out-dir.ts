import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { optionError } from '../common/errors.js';

// A run writes logs, nginx's access log and the results: a few MB. Less free space than this means
// the run would fail at its end, after minutes of measuring, so it is refused before it starts.
export const MIN_FREE_BYTES = 64 * 1024 * 1024;
const PROBE_BYTES = 64 * 1024;

export type FreeSpace = (dir: string) => { bavail: number; bsize: number };

const statfsFree: FreeSpace = (dir) => fs.statfsSync(dir);

/** The deepest folder on the way to `dir` that exists already: where the run's folders will be made. */
function existingAncestor(dir: string): string {
  let current = path.resolve(dir);
  for (;;) {
    try {
      fs.statSync(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/**
 * Checks, before anything starts, that the results can be written under `dir`: its nearest existing
 * folder takes a probe file, and the disk has room. Throws a one-line option error naming `option`.
 */
export function assertWritableOutDir(dir: string, option: string, freeSpace: FreeSpace = statfsFree): void {
  const base = existingAncestor(dir);
  if (!fs.statSync(base).isDirectory()) throw optionError(option, `cannot be created: ${base} is a file, not a folder`);
  const probe = path.join(base, `.benchlab-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(probe, Buffer.alloc(PROBE_BYTES));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw optionError(option, `cannot be written: ${base} refuses a file (${code})`);
  } finally {
    fs.rmSync(probe, { force: true });
  }
  const { bavail, bsize } = freeSpace(base);
  const freeBytes = bavail * bsize;
  if (freeBytes < MIN_FREE_BYTES) {
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    throw optionError(option, `has too little free space: ${mb(freeBytes)} MB free in ${base}, a run needs ${mb(MIN_FREE_BYTES)} MB`);
  }
}
