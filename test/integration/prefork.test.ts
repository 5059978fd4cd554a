import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../lab/stack/ports.js';
import { isRunning } from '../support/live-process.js';
import { until } from '../support/lab-process.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'prefork-server.js');

interface Server {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startServer(t: TestContext, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [fixture, String(port)], { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return { child, port, stdout: () => out, stderr: () => err, exited };
}

/** The pid of the worker that answers a request on a new connection, or undefined while none does within a second. */
function answeringPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 1000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve(Number(body)));
      response.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

test('a worker killed while another still starts is replaced, and the server comes up', async (t) => {
  const server = await startServer(t, { PREFORK_SLOW_MS: '4000' });
  let first: number | undefined;
  await until(
    async () => {
      first = await answeringPid(server.port);
      return first !== undefined;
    },
    20_000,
    'the first worker answers',
  );
  assert.equal(server.stdout(), '', 'the second worker is still starting');
  process.kill(first!, 'SIGKILL');
  let replacement: number | undefined;
  await until(
    async () => {
      replacement = await answeringPid(server.port);
      return replacement !== undefined && replacement !== first;
    },
    20_000,
    () => `a worker other than the killed one answers (stderr: ${server.stderr().trim()})`,
  );
  assert.notEqual(replacement, first);
  await until(
    () => server.stdout().includes('ready'),
    20_000,
    () => `the server reports ready (stderr: ${server.stderr().trim()})`,
  );
  assert.equal(server.child.exitCode, null, 'the primary still runs');
  assert.ok(isRunning(server.child.pid!));
});

test('a worker that fails before it listens stops the server with one clear line', async (t) => {
  const server = await startServer(t, { PREFORK_FAIL_SECOND: '1' });
  const code = await Promise.race([server.exited, sleep(20_000).then(() => 'still running')]);
  assert.equal(code, 1);
  assert.match(server.stderr(), /^worker \d+ exited during start-up \(code 3\)\n$/);
  assert.equal(server.stdout(), '');
});
