import assert from 'node:assert/strict';
import { LabError } from '../../common/errors.js';

/** Asserts that `run` refuses an option the way the CLI reports it: BL_ERR_OPTION, exit code 2, this message. */
export function optionFailure(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof LabError);
    assert.equal(error.code, 'BL_ERR_OPTION');
    assert.equal(error.exitCode, 2);
    assert.match(error.message, pattern);
    return true;
  });
}
