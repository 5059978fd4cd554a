import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoadTally } from '../../client/load-tally.js';

describe('LoadTally timeline', () => {
  it('keeps the latest start of each second, in ms after its schedule, and none for a second without starts', () => {
    const tally = new LoadTally(1000);
    tally.userStarted(1100, 1099.5); // second 0, 0.5 ms late
    tally.userStarted(1260, 1257); // second 0, 3 ms late
    tally.userStarted(1900, 1899.25); // second 0, 0.75 ms late
    tally.userStarted(2400, 2400); // second 1, on time
    tally.userOk(3500, 2400); // second 2: a completion, no start
    const timeline = tally.timeline();
    assert.deepEqual(
      timeline.map((s) => [s.second, s.arrivals, s.completions, s.latenessMaxMs]),
      [
        [0, 3, 0, 3],
        [1, 1, 0, 0],
        [2, 0, 1, undefined],
      ],
    );
  });
});
