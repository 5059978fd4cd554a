import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProgressLine } from '../../client/progress.js';

describe('formatProgressLine', () => {
  it('shows elapsed time, started of scheduled users, outcomes, in flight and rate on one line', () => {
    const line = formatProgressLine({ elapsedSeconds: 4, scheduled: 500, started: 200, ok: 150, failed: 10, inFlight: 40 });
    assert.equal(line, '4.0 s  users 200/500 started  ok 150  failed 10  in flight 40  40.0 users/s');
    assert.ok(!line.includes('\n'));
  });

  it('does not divide by zero at the start', () => {
    const line = formatProgressLine({ elapsedSeconds: 0, scheduled: 5, started: 0, ok: 0, failed: 0, inFlight: 0 });
    assert.match(line, / 0\.0 users\/s$/);
  });
});
