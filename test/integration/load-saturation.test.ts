import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/run-cli.js';
import { startScenarioStub } from '../support/scenario-stub.js';
import type { LoadResult } from '../../common/result.js';

// Users turned away at the in-flight cap are users the server side did not serve: the headline
// "Errors:" must count them, not call them interrupted.
test('load --max-active 5 --on-saturation drop counts the dropped users in Errors', async (t) => {
  const stub = await startScenarioStub({ getDelayMs: 200 });
  t.after(() => stub.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-test-drop-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'drop.json');
  const res = await runCli([
    'load',
    '--target',
    stub.url,
    '--users',
    '100',
    '--ramp',
    '1',
    '--max-active',
    '5',
    '--on-saturation',
    'drop',
    '--no-check-own-post',
    '--out',
    out,
  ]);
  assert.equal(res.code, 0, res.stderr);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as LoadResult;
  const dropped = result.users.dropped ?? 0;
  assert.ok(dropped >= 50, `most users were turned away (${dropped})`);
  assert.equal(result.users.notStarted, 0);
  assert.equal(result.errors['dropped'], dropped);
  const shown = /Errors: (\d+) \/ 100 \((\d+(?:\.\d+)?)%\)/.exec(res.stdout);
  assert.ok(shown, res.stdout);
  assert.equal(Number(shown[1]), result.users.failed);
  assert.ok(Number(shown[1]) >= dropped, `Errors: ${shown[1]} counts the ${dropped} dropped users`);
  assert.match(res.stdout, /dropped/);
  assert.doesNotMatch(res.stdout + res.stderr, /interrupted/);
});
