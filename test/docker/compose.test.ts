// Compose mode with a real Docker engine (`npm run test:docker`, not part of `npm test`): the engine is started
// when none answers (scripts/docker-engine), the images are built from local stand-ins (scripts/offline-images),
// and docs/docker.md's own command lines run as written: the one-variant line, the audited by-hand lines,
// scripts/compare-docker over the design set and with two clients, and the one-node Swarm. Loads are small.
// Nothing of the project may be left behind: no container, network, volume, stack or Swarm. An engine that
// cannot start fails every test here; nothing is skipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadResult, VariantResult } from '../../common/result.js';
import type { RunInfo } from '../../report/run-info.js';
import { packageRoot } from '../../lab/paths.js';

const DOC = path.join(packageRoot, 'docs', 'docker.md');
// Names of this test's own: a compose project, an image tag; the Swarm stack is the docs' `benchlab`.
const PROJECT = 'benchlab-docker-test';
const IMAGE = 'benchlab:docker-test';
const STACK = 'benchlab';
const USERS = 200;
const RAMP_SECONDS = 5;
const WARMUP_USERS = 100;
const DESIGN = ['prefork', 'threaded', 'fastcgi'];
const MINUTE_MS = 60_000;

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

const tail = (text: string, lines = 40) => text.trimEnd().split('\n').slice(-lines).join('\n');

/** The environment every command gets: this machine's, less any BENCHLAB_* or COMPOSE_* a shell had set. */
const baseEnv: Record<string, string> = Object.fromEntries(
  Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !/^(BENCHLAB_|COMPOSE_)/.test(entry[0])),
);
let env: Record<string, string> = { ...baseEnv };

function sh(command: string, options: { env?: Record<string, string>; timeoutMs?: number } = {}): Outcome {
  const result = spawnSync('bash', ['-c', command], {
    cwd: packageRoot,
    env: { ...env, ...options.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: options.timeoutMs ?? 5 * MINUTE_MS,
  });
  if (result.error) throw new Error(`${command}: ${result.error.message}\n${tail(result.stdout ?? '')}\n${tail(result.stderr ?? '')}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command that must succeed, and returns its stdout. */
function ok(command: string, options: { env?: Record<string, string>; timeoutMs?: number } = {}): string {
  const outcome = sh(command, options);
  assert.equal(outcome.status, 0, `${command} exited with ${outcome.status}\n--- stdout\n${tail(outcome.stdout)}\n--- stderr\n${tail(outcome.stderr)}`);
  return outcome.stdout;
}

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

/**
 * The line of a ```sh block of docs/docker.md that starts with `start` (or is `start`, when exact): what a
 * reader would paste. The docs may show it more than once, but always alike.
 */
function docLine(start: string, exact = false): string {
  const found = new Set<string>();
  let shell = false;
  for (const line of fs.readFileSync(DOC, 'utf8').split('\n')) {
    if (/^```/.test(line)) shell = line.trim() === '```sh' && !shell;
    else if (shell && (exact ? line === start : line.startsWith(start))) found.add(line);
  }
  assert.equal(found.size, 1, `docs/docker.md has one shell line ${exact ? 'that is' : 'starting with'} "${start}": ${JSON.stringify([...found])}`);
  return [...found][0]!;
}

function resultsDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `benchlab-docker-${name}-`));
  created.push(dir);
  return dir;
}
const created: string[] = [];

function shardsOf(results: string, variant: string): LoadResult[] {
  const dir = path.join(results, 'shards', variant);
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as LoadResult);
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** An exact audit: every accepted post once, nothing foreign, the warm-up's rows set apart. */
function assertExactIntegrity(result: VariantResult, users: number, warmupRows: number): void {
  const integrity = result.integrity;
  assert.equal(integrity.audited, true, 'the posts were audited against the database');
  assert.equal(integrity.ok, true, `integrity: ${integrity.problems.join('; ')}`);
  assert.equal(integrity.postsAccepted, users);
  assert.deepEqual(
    { rows: integrity.rows, missing: integrity.missing, duplicated: integrity.duplicated, foreign: integrity.foreign, warmup: integrity.warmup },
    { rows: users, missing: 0, duplicated: 0, foreign: 0, warmup: warmupRows },
  );
}

function assertAllServed(result: LoadResult, users: number): void {
  assert.equal(result.users.scheduled, users);
  assert.equal(result.users.ok, users, `errors: ${JSON.stringify(result.errors)}`);
  assert.deepEqual(result.errors, {});
}

/** A markdown table of summary.md, under its `## heading`, as rows of header -> cell. */
function markdownTable(markdown: string, heading: string): Record<string, string>[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith(`${heading}\n`));
  assert.ok(section, `summary.md has a "## ${heading}" section`);
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    );
  const [header, , ...body] = rows;
  assert.ok(header && body.length > 0, `the "${heading}" table has rows`);
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

const swarmState = () => ok("docker info --format '{{.Swarm.LocalNodeState}}'").trim();
const stackContainers = () => lines(ok(`docker ps -aq --filter label=com.docker.stack.namespace=${STACK}`));
const stackNetworks = () => lines(ok(`docker network ls -q --filter label=com.docker.stack.namespace=${STACK}`));
let swarmStartedHere = false;
/** The engine's pid when this file started it: stopped again at the end, so later runs have a quiet machine. */
let engineStartedHere: number | undefined;
let gwbridgeBefore = true;
let volumesBefore: string[] = [];

async function removeStack(): Promise<void> {
  if (swarmState() !== 'active') return;
  sh(`docker stack rm ${STACK}`);
  // `stack rm` returns at once; its tasks and network go in the background.
  for (let i = 0; i < 60 && (stackContainers().length > 0 || stackNetworks().length > 0); i++) await sleep(1_000);
}

async function leaveSwarm(): Promise<void> {
  if (!swarmStartedHere) return;
  await removeStack();
  sh('docker swarm leave --force');
  if (!gwbridgeBefore) sh('docker network rm docker_gwbridge');
  swarmStartedHere = false;
}

function composeDown(): void {
  sh('docker-compose down -v --remove-orphans', { timeoutMs: 2 * MINUTE_MS });
}

describe('compose mode on a real Docker engine', { concurrency: false }, () => {
  before(() => {
    // No skip: without an engine this whole file fails, saying why.
    const engine = sh('scripts/docker-engine', { timeoutMs: 10 * MINUTE_MS });
    assert.equal(engine.status, 0, `the Docker engine could not be started (scripts/docker-engine):\n${tail(engine.stderr)}`);
    if (/starting dockerd/.test(engine.stderr)) engineStartedHere = Number(fs.readFileSync('/var/run/docker.pid', 'utf8').trim()) || undefined;
    const images = sh('scripts/offline-images', { timeoutMs: 20 * MINUTE_MS });
    assert.equal(images.status, 0, `scripts/offline-images failed:\n${tail(images.stderr)}`);
    const imageVars = Object.fromEntries(lines(images.stdout).map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
    assert.deepEqual(Object.keys(imageVars).sort(), ['BENCHLAB_DB_IMAGE', 'BENCHLAB_DEBIAN_IMAGE', 'BENCHLAB_NGINX_IMAGE', 'BENCHLAB_NODE_IMAGE']);
    env = {
      ...baseEnv,
      ...imageVars,
      COMPOSE_PROJECT_NAME: PROJECT,
      BENCHLAB_IMAGE: IMAGE,
      BENCHLAB_USERS: String(USERS),
      BENCHLAB_RAMP: String(RAMP_SECONDS),
      BENCHLAB_WARMUP_USERS: String(WARMUP_USERS),
      // Room for compose's own start-up on a busy 2-core machine before the clients' common start.
      BENCHLAB_START_DELAY: '20',
    };
    assert.ok(sh('docker-compose version').status === 0, 'docker-compose is installed');
    gwbridgeBefore = sh('docker network inspect docker_gwbridge').status === 0;
    volumesBefore = lines(ok('docker volume ls -q'));
    composeDown();
    ok('docker-compose build --force-rm prefork-app', { timeoutMs: 20 * MINUTE_MS });
  });

  after(async () => {
    composeDown();
    await leaveSwarm();
    for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
    // An engine left running after the tests kept dockerd and containerd at about 3% of a CPU, unpinned,
    // beside every lab run made afterwards. One that was running before is left as it was.
    if (engineStartedHere !== undefined) {
      process.kill(engineStartedHere, 'SIGTERM');
      assert.equal(sh(`timeout 60 tail --pid=${engineStartedHere} -f /dev/null`).status, 0, `dockerd ${engineStartedHere} stopped within 60 s`);
    }
  });

  test("the docs' one-variant line runs the four services and stops them all when the client is done", { timeout: 10 * MINUTE_MS }, () => {
    const results = resultsDir('one');
    const line = docLine('docker-compose up --abort-on-container-exit');
    assert.match(line, /--exit-code-from prefork db prefork-app prefork-nginx prefork$/);
    ok(line, { env: { BENCHLAB_RESULTS: results } });
    const states = lines(ok("docker-compose ps -q | xargs -r docker inspect -f '{{.Name}} {{.State.Status}}'"));
    assert.equal(states.length, 4, states.join('\n'));
    for (const state of states) assert.match(state, / exited$/, 'every service stopped with the client');
    const [shard, ...more] = shardsOf(results, 'prefork');
    assert.ok(shard && more.length === 0, 'one shard');
    assertAllServed(shard, USERS);
    assert.equal(shard.markerTags?.measured.length, 1, 'the shard names its run tag');
    assert.equal(shard.markerTags?.warmup.length, 1, "and the warm-up's");
    assert.equal(shard.meta?.['lab_image'], IMAGE);
    ok(docLine('docker-compose down -v'));
  });

  test("the docs' audited lines: the client alone, the merge against the database it wrote to", { timeout: 10 * MINUTE_MS }, () => {
    const results = resultsDir('audited');
    const run = { env: { BENCHLAB_RESULTS: results } };
    // The docs' `rm -rf results/shards/prefork` empties the clone's folder; this results folder is new.
    ok(docLine('docker-compose run --rm prefork'), run);
    ok(docLine('docker-compose run --rm --no-deps --entrypoint node prefork dist/cli/benchlab.js merge'), run);
    composeDown();
    const merged = readJson<VariantResult>(path.join(results, 'compose', 'prefork.json'));
    assertAllServed(merged, USERS);
    assertExactIntegrity(merged, USERS, WARMUP_USERS);
  });

  test('scripts/compare-docker over the design set: three variants, no errors, integrity ok, cost columns filled', { timeout: 20 * MINUTE_MS }, () => {
    const results = resultsDir('design');
    ok('scripts/compare-docker', { env: { BENCHLAB_RESULTS: results }, timeoutMs: 20 * MINUTE_MS });
    const summary = fs.readFileSync(path.join(results, 'summary.md'), 'utf8');
    for (const variant of DESIGN) {
      assert.match(summary, new RegExp(`^### ${variant}\\n(?:.*\\n){3}Errors: 0 / ${USERS} \\(0%\\)$`, 'm'), `${variant}'s block in the original's format`);
    }
    const comparison = markdownTable(summary, 'Comparison');
    assert.deepEqual(comparison.map((row) => row['variant']).sort(), [...DESIGN].sort());
    for (const row of comparison) {
      // "errors", or "errors by origin": the column's name is the report's to choose.
      const errors = Object.keys(row).find((name) => name.startsWith('errors'));
      assert.equal(errors !== undefined ? row[errors] : undefined, '0', `${row['variant']}: errors`);
      assert.equal(row['integrity'], 'ok', `${row['variant']}: integrity`);
      for (const column of ['CPU s', 'CPU ms/user', 'peak RSS MB', 'mean RSS MB']) {
        assert.match(row[column] ?? '', /^\d+(\.\d+)?$/, `${row['variant']}: ${column} is filled (got "${row[column]}")`);
      }
    }
    for (const row of markdownTable(summary, 'Setup, nginx and database')) {
      for (const column of ['nginx CPU s', 'nginx peak RSS MB', 'database CPU s', 'database peak RSS MB']) {
        assert.match(row[column] ?? '', /^\d+(\.\d+)?$/, `${row['variant']}: ${column} is filled (got "${row[column]}")`);
      }
    }
    for (const variant of DESIGN) {
      const result = readJson<VariantResult>(path.join(results, `${variant}.json`));
      assertExactIntegrity(result, USERS, WARMUP_USERS);
      assert.ok((result.server?.samples ?? 0) >= 2, `${variant}: the server was sampled during the window`);
      assert.ok((result.server?.cpuSeconds ?? 0) > 0 && (result.database?.cpuSeconds ?? 0) > 0, `${variant}: CPU was counted`);
    }
    const run = readJson<RunInfo>(path.join(results, 'run.json'));
    const meta = run.options['meta'] as Record<string, string>;
    assert.match(meta['image.server'] ?? '', new RegExp(`^${IMAGE}@sha256:`), 'run.json names the image that served');
    assert.equal(meta['nginx_image'], env['BENCHLAB_NGINX_IMAGE']);
    assert.deepEqual(run.variants, DESIGN);
  });

  test('two clients per variant: one schedule each, merged exactly, audited', { timeout: 10 * MINUTE_MS }, () => {
    const results = resultsDir('clients');
    ok('scripts/compare-docker prefork', { env: { BENCHLAB_RESULTS: results, BENCHLAB_CLIENTS: '2' }, timeoutMs: 10 * MINUTE_MS });
    const shards = shardsOf(results, 'prefork');
    assert.equal(shards.length, 2);
    for (const shard of shards) assertAllServed(shard, USERS);
    const merged = readJson<VariantResult>(path.join(results, 'prefork.json'));
    assertAllServed(merged, 2 * USERS);
    assertExactIntegrity(merged, 2 * USERS, 2 * WARMUP_USERS);
    const run = readJson<RunInfo>(path.join(results, 'run.json'));
    assert.equal((run.options['merged'] as Record<string, { shards: number }>)['prefork']?.shards, 2);
  });

  test("the same file as a one-node Swarm stack, with the docs' dnsrr override", { timeout: 10 * MINUTE_MS }, async () => {
    assert.equal(swarmState(), 'inactive', 'this engine is in no Swarm yet (the test would not leave one it did not start)');
    const results = resultsDir('swarm');
    const stackEnv = { env: { BENCHLAB_RESULTS: results } };
    ok(docLine('docker swarm init', true));
    swarmStartedHere = true;
    const deploy = docLine('BENCHLAB_SERVERS=0 BENCHLAB_CLIENTS=0 docker stack deploy -c docker-compose.yml -c docker-compose.swarm-dnsrr.yml');
    ok(deploy, stackEnv);
    ok(docLine(`docker service scale ${STACK}_prefork-app=1`), { timeoutMs: 5 * MINUTE_MS });
    ok(docLine('docker service update --env-add BENCHLAB_START_AT=$(( ($(date +%s) + 30) * 1000 ))'), { timeoutMs: 5 * MINUTE_MS });
    let state = '';
    for (let waited = 0; waited < 240 && !/^(Complete|Failed|Rejected|Shutdown)/.test(state); waited += 2) {
      await sleep(2_000);
      state = ok(`docker service ps ${STACK}_prefork --format '{{.CurrentState}}'`).trim().split('\n')[0] ?? '';
    }
    assert.match(state, /^Complete/, `the client task ended well:\n${sh(`docker service logs --tail 30 ${STACK}_prefork`).stdout}`);
    const [shard, ...more] = shardsOf(results, 'prefork');
    assert.ok(shard && more.length === 0, 'one shard');
    assertAllServed(shard, USERS);
    assert.equal(shard.backends['prefork'], 3 * USERS, 'every answer came from the variant, through its nginx');
    ok(docLine(`docker stack rm ${STACK}`));
    await removeStack();
    ok(docLine('docker swarm leave --force'));
    swarmStartedHere = false;
  });

  test("nothing of the project's is left: no container, network, volume, stack or Swarm", async () => {
    composeDown();
    await leaveSwarm();
    const project = `label=com.docker.compose.project=${PROJECT}`;
    assert.deepEqual(lines(ok(`docker ps -aq --filter ${project}`)), [], 'compose containers');
    assert.deepEqual(lines(ok(`docker ps -aq --filter ancestor=${IMAGE}`)), [], "containers of the project's image (clients, merges, the sampler)");
    assert.deepEqual(stackContainers(), [], 'Swarm tasks');
    assert.deepEqual(lines(ok(`docker network ls -q --filter ${project}`)), [], 'compose networks');
    assert.deepEqual(stackNetworks(), [], 'the stack network');
    assert.equal(sh('docker network inspect docker_gwbridge').status === 0, gwbridgeBefore, 'docker_gwbridge as it was before the Swarm');
    assert.deepEqual(lines(ok(`docker volume ls -q --filter ${project}`)), [], 'compose volumes');
    const newVolumes = lines(ok('docker volume ls -q')).filter((name) => !volumesBefore.includes(name));
    assert.deepEqual(newVolumes, [], 'volumes the test created');
    assert.equal(swarmState(), 'inactive', 'no Swarm');
    const stacks = sh('docker stack ls --format "{{.Name}}"');
    assert.ok(stacks.status !== 0 || !lines(stacks.stdout).includes(STACK), 'no stack');
  });
});
