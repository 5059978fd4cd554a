import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VARIANTS } from '../../apps/variants.js';
import { MAX_RUN_TAG_CHARS, measurementTag } from '../../client/post-marker.js';

/** 64-bit FNV-1a, the plain way, to hold the two-halves arithmetic to. */
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash;
}

test('a measurement tag is the run tag and a 64-bit FNV-1a hash of the label', () => {
  for (const label of ['', 'a', 'prefork', 'fastcgi-threaded-express.1600', 'ünïcode ✓']) {
    const tag = measurementTag('abc123', label);
    const hash = fnv1a64(label);
    const expected = `abc123m${(hash >> 32n).toString(36).padStart(7, '0')}${(hash & 0xffffffffn).toString(36).padStart(7, '0')}`;
    assert.equal(tag, expected, label);
  }
});

test('every measurement of a run has its own tag, however long the variant names', () => {
  const labels = VARIANTS.flatMap((v) => [
    v.name,
    ...[25, 50, 75, 100, 150, 175, 200, 275, 300, 350, 375, 400, 800, 1600, 3200].map((rate) => `${v.name}.${rate}`),
    ...Array.from({ length: 10 }, (_, r) => `${v.name}.r${r + 1}`),
  ]);
  const tags = labels.map((label) => measurementTag('a1b2c3', label));
  assert.equal(new Set(tags).size, labels.length, 'no two measurements share a tag');
  assert.equal(new Set(tags.map((t) => t.length)).size, 1, 'all tags have one length, so none starts another');
  // Several client processes add `c<k>`, their event loops `t<j>`: still a valid --run-tag.
  assert.ok(tags[0]!.length + 'c63t63'.length <= MAX_RUN_TAG_CHARS, `${tags[0]} leaves room for the client suffixes`);
});
