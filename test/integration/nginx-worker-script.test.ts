import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../lab/paths.js';

// nginx/worker-processes.sh, as the official nginx image's entrypoint runs it, on a copy of that
// image's nginx.conf (its first lines, as the image ships them).
const SCRIPT = path.join(packageRoot, 'nginx', 'worker-processes.sh');
const IMAGE_CONF = 'user  nginx;\nworker_processes  auto;\n\nerror_log  /var/log/nginx/error.log notice;\npid        /run/nginx.pid;\n';

function runScript(conf: string, workers: string | undefined): { status: number | null; stderr: string; after: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-worker-script-'));
  try {
    const file = path.join(dir, 'nginx.conf');
    fs.writeFileSync(file, conf);
    const env = { PATH: process.env['PATH'] ?? '', NGINX_MAIN_CONF: file, ...(workers === undefined ? {} : { NGINX_WORKERS: workers }) };
    const result = spawnSync('/bin/sh', [SCRIPT], { env, encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr, after: fs.readFileSync(file, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the image's worker_processes auto becomes NGINX_WORKERS, 1 when unset, and nothing else changes", () => {
  assert.ok((fs.statSync(SCRIPT).mode & 0o111) !== 0, 'the entrypoint runs only executable scripts');
  const two = runScript(IMAGE_CONF, '2');
  assert.equal(two.status, 0, two.stderr);
  assert.equal(two.after, IMAGE_CONF.replace('worker_processes  auto;', 'worker_processes 2;'));
  assert.match(runScript(IMAGE_CONF, undefined).after, /^worker_processes 1;$/m);
  assert.match(runScript(IMAGE_CONF, '').after, /^worker_processes 1;$/m, 'empty, as compose passes an empty variable, is the default');
});

test('a bad NGINX_WORKERS or a config without the line stops the container with one clear line', () => {
  for (const bad of ['0', 'two', '-1', '02', '2 3']) {
    const result = runScript(IMAGE_CONF, bad);
    assert.equal(result.status, 1, `NGINX_WORKERS=${bad}`);
    assert.match(result.stderr, /NGINX_WORKERS must be a whole number from 1/);
    assert.equal(result.after, IMAGE_CONF, 'the config is left as it was');
  }
  const missing = runScript('events {}\n', '1');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no worker_processes line in .*nginx\.conf to set/);
});
