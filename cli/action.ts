// How every command ends: a LabError is one `benchlab: …` line and its exit code, never a stack trace.
import { CommanderError } from 'commander';
import { LabError } from '../common/errors.js';

export function fail(err: unknown): never {
  if (err instanceof LabError) {
    console.error(`benchlab: ${err.message}`);
    process.exit(err.exitCode);
  }
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(`benchlab: unexpected error: ${message}`);
  if (process.env['BENCHLAB_DEBUG'] && err instanceof Error) console.error(err.stack);
  process.exit(1);
}

export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return (...args: A) => fn(...args).catch(fail);
}
