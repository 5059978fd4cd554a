import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../lab/paths.js';

// `npx benchlab …` must work right after `npm ci`, as the README shows it.
describe('the benchlab command', () => {
  it('runs through npx from the package folder', () => {
    const help = spawnSync('npx', ['--no-install', 'benchlab', '--help'], { cwd: packageRoot, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: benchlab /m);
    const variants = spawnSync('npx', ['--no-install', 'benchlab', 'variants'], { cwd: packageRoot, encoding: 'utf8' });
    assert.equal(variants.status, 0, variants.stderr);
    assert.match(variants.stdout, /^http-prefork-fastify\s+prefork\s/m);
  });

  it('is an executable file, and git keeps its execute bit', () => {
    const bin = path.join(packageRoot, 'bin', 'benchlab.js');
    assert.ok((fs.statSync(bin).mode & 0o111) !== 0, 'bin/benchlab.js is not executable');
    const staged = execFileSync('git', ['ls-files', '-s', 'bin/benchlab.js'], { cwd: packageRoot, encoding: 'utf8' });
    assert.match(staged, /^100755 /, 'git records bin/benchlab.js without its execute bit');
  });

  it('answers bad usage with one line and exit 2', () => {
    const bad = spawnSync(path.join(packageRoot, 'bin', 'benchlab.js'), ['run', '--users', 'many'], { cwd: packageRoot, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /^benchlab: option --users /);
  });
});
