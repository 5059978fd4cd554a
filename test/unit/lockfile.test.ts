import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { packageRoot } from '../../lab/paths.js';

// The lockfile must install without an EBADENGINE warning on the oldest Node the project allows (the
// compose image's Node 20 too): cookie@2, which light-my-request pulled in, wanted Node 22.
test("every locked package runs on the oldest Node that package.json's engines allow", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
  };
  const oldest = semver.minVersion(manifest.engines.node);
  assert.ok(oldest, `engines.node "${manifest.engines.node}" names no version`);
  const refused = Object.entries(lock.packages).flatMap(([where, entry]) => {
    const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    return wanted !== undefined && !semver.satisfies(oldest, wanted) ? [`${where}@${entry.version} wants node ${wanted}`] : [];
  });
  assert.deepEqual(refused, [], `on node ${oldest}`);
});
