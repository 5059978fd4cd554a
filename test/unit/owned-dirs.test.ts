import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ownedTempDir, removeOrphanedDirs } from '../../lab/stack/owned-dirs.js';
import { tempOutputs } from '../support/temp-dirs.js';

const tempOut = tempOutputs('benchlab-owned');

test('only folders whose owner has gone are removed', () => {
  const parent = path.dirname(tempOut('x'));
  const mine = ownedTempDir('benchlab-db-', parent);
  // A process that has exited: its pid names no live owner.
  const gone = spawnSync(process.execPath, ['-e', '']).pid!;
  const orphan = fs.mkdtempSync(path.join(parent, 'benchlab-db-'));
  fs.writeFileSync(path.join(orphan, 'benchlab-owner'), `${gone} 12345\n`);
  // The lab's own pid, but another start time: a reused pid is not the owner.
  const reused = fs.mkdtempSync(path.join(parent, 'benchlab-db-'));
  fs.writeFileSync(path.join(reused, 'benchlab-owner'), `${process.pid} 1\n`);
  const unknown = fs.mkdtempSync(path.join(parent, 'benchlab-db-'));
  const other = fs.mkdtempSync(path.join(parent, 'other-'));
  fs.writeFileSync(path.join(other, 'benchlab-owner'), `${gone} 12345\n`);

  assert.deepEqual(removeOrphanedDirs('benchlab-db-', parent).sort(), [orphan, reused].sort());
  assert.ok(fs.existsSync(mine), 'a live owner keeps its folder');
  assert.ok(fs.existsSync(unknown), "a folder without an owner record is not the lab's to remove");
  assert.ok(fs.existsSync(other), 'other prefixes are left alone');
});
