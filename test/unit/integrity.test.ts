import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditRows, integrityOf, integrityText, markerTag } from '../../common/integrity.js';

const marker = (tag: string, user: number) => `bl:${tag}:${user} héllo <b>`;
const stored = (bodies: Array<[string, number]>) => new Map(bodies);

describe('the integrity rule', () => {
  it('reads the tag of a marker, and none of another text', () => {
    assert.equal(markerTag('bl:abc123mXYZ:17 héllo'), 'abc123mXYZ');
    assert.equal(markerTag('hello'), undefined);
    assert.equal(markerTag('bl:no-colon'), undefined);
  });

  it("sorts rows into the measurement's, the warm-up's and foreign ones", () => {
    const accepted = [marker('m1', 0), marker('m1', 1), marker('m2', 0)];
    const audit = auditRows(
      stored([
        [marker('m1', 0), 1],
        [marker('m1', 1), 2],
        [marker('m1', 5), 1],
        [marker('w', 3), 4],
        [marker('other', 0), 1],
        ['no marker at all', 1],
      ]),
      accepted,
      { measured: ['m1', 'm2'], warmup: ['w'] },
    );
    assert.deepEqual(audit, { rows: 4, missing: 1, duplicated: 1, unaccepted: 1, foreign: 2, warmup: 4 });
  });

  it('a tag that starts another is not that other', () => {
    const audit = auditRows(stored([[marker('abcw', 0), 1]]), [], { measured: ['abc'], warmup: [] });
    assert.deepEqual(audit, { rows: 0, missing: 0, duplicated: 0, unaccepted: 0, foreign: 1, warmup: 0 });
  });

  it('holds when nothing is lost, doubled or foreign, and unaccepted rows do not outnumber failed users', () => {
    const clean = { rows: 10, missing: 0, duplicated: 0, unaccepted: 2, foreign: 0, warmup: 100 };
    assert.equal(integrityOf({ accepted: 8, indeterminate: 1 }, 2, clean).ok, true);
    const broken = integrityOf({ accepted: 8, indeterminate: 1 }, 1, { ...clean, missing: 3, duplicated: 1, foreign: 2 });
    assert.equal(broken.ok, false);
    assert.deepEqual(broken.problems, ['3 missing', '1 duplicated', '2 foreign', '2 unaccepted (more than the 1 failed users)']);
    assert.equal(integrityText(broken, '–'), 'FAIL: 3 missing, 1 duplicated, 2 foreign, 2 unaccepted (more than the 1 failed users)');
  });

  it('says nothing it did not audit', () => {
    const unknown = integrityOf({ accepted: 8, indeterminate: 0 }, 0, undefined);
    assert.equal(unknown.ok, null);
    assert.equal(unknown.rows, null);
    assert.equal(integrityText(unknown, '–'), '–');
  });
});
