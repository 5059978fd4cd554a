import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetaOptions } from '../../cli/meta-option.js';
import { START_LATE_GRACE_MS, parseStartAt } from '../../lab/stack/start-time.js';

const NOW_MS = Date.parse('2025-03-01T14:05:00.000Z');

describe('--start-at', () => {
  it('reads ISO 8601 and epoch milliseconds; empty means now', () => {
    assert.equal(parseStartAt('2025-03-01T14:05:30Z', NOW_MS), NOW_MS + 30_000);
    assert.equal(parseStartAt('2025-03-01T15:05:30+01:00', NOW_MS), NOW_MS + 30_000);
    assert.equal(parseStartAt(String(NOW_MS + 30_000), NOW_MS), NOW_MS + 30_000);
    assert.equal(parseStartAt('', NOW_MS), undefined);
    assert.equal(parseStartAt(undefined, NOW_MS), undefined);
  });

  it('allows a start a little in the past, and refuses one further back', () => {
    assert.equal(parseStartAt(String(NOW_MS - START_LATE_GRACE_MS), NOW_MS), NOW_MS - START_LATE_GRACE_MS);
    assert.throws(() => parseStartAt('2025-03-01T14:04:00Z', NOW_MS), /option --start-at is 60\.0 s in the past \(2025-03-01T14:04:00\.000Z\)/);
  });

  it('says what is wrong with other values', () => {
    assert.throws(() => parseStartAt(String(Math.floor(NOW_MS / 1000)), NOW_MS), /looks like seconds/);
    assert.throws(() => parseStartAt('tomorrow', NOW_MS), /must be ISO 8601 like .* or epoch milliseconds \(got "tomorrow"\)/);
    assert.throws(() => parseStartAt('2025-03-05T14:05:00Z', NOW_MS), /more than a day ahead/);
    assert.throws(
      () => parseStartAt('2025-02-32T14:05:00Z', NOW_MS, '--start-at (from BENCHLAB_START_AT)'),
      /option --start-at \(from BENCHLAB_START_AT\) is not a valid date/,
    );
  });
});

describe('--meta', () => {
  it('collects KEY=VALUE pairs; a value may contain =', () => {
    assert.deepEqual(parseMetaOptions(['app_cpus=1', 'db_url=a=b', 'empty=']), { app_cpus: '1', db_url: 'a=b', empty: '' });
    assert.equal(parseMetaOptions([]), undefined);
  });

  it('refuses a pair without =, a bad key and a key given twice', () => {
    assert.throws(() => parseMetaOptions(['app_cpus']), /must be KEY=VALUE/);
    assert.throws(() => parseMetaOptions(['=1']), /must be KEY=VALUE/);
    assert.throws(() => parseMetaOptions(['a=1', 'a=2']), /gives a twice/);
  });
});
