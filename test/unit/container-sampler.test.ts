// The compose mode's cost columns: the containers' CPU and memory as the engine's stats API reports them,
// summed per group, and `benchlab merge --resources` putting them into the result. A small HTTP server on a
// unix socket stands in for the engine, so no Docker is needed here (npm run test:docker runs the real one).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import {
  ContainerTally,
  imageMeta,
  parseGroupOption,
  readingOf,
  readResourcesFile,
  type ContainerResources,
  type ResourceGroup,
} from '../../lab/stack/container-sampler.js';
import type { VariantResult } from '../../common/result.js';
import type { RunInfo } from '../../report/run-info.js';
import { cliPath } from '../../lab/paths.js';
import { runCli } from '../support/run-cli.js';
import { tempOutputs } from '../support/temp-dirs.js';
import { variantResultFixture } from '../support/variant-result-fixture.js';

const tempOut = tempOutputs('container-sampler');
const MB = 1_000_000;

function groups(entries: Record<string, string[]>): Map<ResourceGroup, string[]> {
  return new Map(Object.entries(entries) as [ResourceGroup, string[]][]);
}

describe('ContainerTally', () => {
  it("adds a group's containers: CPU over the window, memory summed per sample, peak and mean", () => {
    const tally = new ContainerTally(groups({ server: ['a', 'b'], nginx: ['c'] }));
    tally.record(
      new Map([
        ['a', { cpuNs: 5e9, memoryBytes: 100 * MB }],
        ['b', { cpuNs: 1e9, memoryBytes: 50 * MB }],
        ['c', { cpuNs: 2e9, memoryBytes: 10 * MB }],
      ]),
    );
    tally.record(
      new Map([
        ['a', { cpuNs: 6.5e9, memoryBytes: 120 * MB }],
        ['b', { cpuNs: 1.25e9, memoryBytes: 60 * MB }],
        ['c', { cpuNs: 2.1e9, memoryBytes: 12 * MB }],
      ]),
    );
    const summary = tally.summary();
    assert.deepEqual(summary.server, { cpuSeconds: 1.75, rssPeakBytes: 180 * MB, rssMeanBytes: 165 * MB, samples: 2, processes: 2 });
    assert.equal(summary.nginx?.cpuSeconds.toFixed(3), '0.100');
    assert.equal(summary.nginx?.rssPeakBytes, 12 * MB);
  });

  it('counts CPU across a restart (the counter starts again at zero) and skips a container that did not answer', () => {
    const tally = new ContainerTally(groups({ server: ['a'], database: ['d'] }));
    tally.record(new Map([['a', { cpuNs: 10e9, memoryBytes: 1 * MB }]]));
    tally.record(new Map([['a', { cpuNs: 12e9, memoryBytes: 3 * MB }]]));
    tally.record(new Map([['a', { cpuNs: 0.5e9, memoryBytes: 2 * MB }]]));
    tally.record(new Map());
    const summary = tally.summary();
    assert.equal(summary.server?.cpuSeconds, 2.5);
    assert.equal(summary.server?.samples, 3);
    assert.equal(summary.server?.rssMeanBytes, 2 * MB);
    assert.equal(summary.database, null, 'a group that never answered is unsampled, not zero');
  });
});

describe('the engine stats and the options', () => {
  it('reads CPU and memory from a stats answer; a stopped container (zeros) is no reading', () => {
    assert.deepEqual(readingOf({ cpu_stats: { cpu_usage: { total_usage: 42 } }, memory_stats: { usage: 4096 } }), { cpuNs: 42, memoryBytes: 4096 });
    assert.equal(readingOf({ cpu_stats: { cpu_usage: { total_usage: 0 } }, memory_stats: {} }), undefined);
    assert.equal(readingOf(null), undefined);
  });

  it('parses --group NAME=ID,ID and refuses other names or no ids', () => {
    assert.deepEqual(parseGroupOption('server=abc,def'), ['server', ['abc', 'def']]);
    assert.deepEqual(parseGroupOption('database=db_1'), ['database', ['db_1']]);
    assert.throws(() => parseGroupOption('client=abc'), /one of server, nginx, database/);
    assert.throws(() => parseGroupOption('nginx='), /needs container ids/);
    assert.throws(() => parseGroupOption('nginx=a;rm'), /needs container ids/);
  });

  it('names the images that ran, by name and id, per group', () => {
    assert.deepEqual(
      imageMeta([
        { group: 'server', id: '1', name: 'x_app_1', image: 'benchlab:local', imageId: 'sha256:aa' },
        { group: 'server', id: '2', name: 'x_app_2', image: 'benchlab:local', imageId: 'sha256:aa' },
        { group: 'nginx', id: '3', name: 'x_nginx_1', image: 'nginx:1.27', imageId: 'sha256:bb' },
      ]),
      { 'image.server': 'benchlab:local@sha256:aa', 'image.nginx': 'nginx:1.27@sha256:bb' },
    );
  });

  it('reads a resources file; a group without samples is null', () => {
    const file = tempOut('resources.json');
    const summary = { cpuSeconds: 1, rssPeakBytes: 2, rssMeanBytes: 2, samples: 3, processes: 1 };
    fs.writeFileSync(file, JSON.stringify({ groups: { server: summary, nginx: { ...summary, samples: 0 } }, containers: [] }));
    assert.deepEqual(readResourcesFile(file).groups, { server: summary, nginx: null, database: null });
    fs.writeFileSync(file, JSON.stringify({ groups: { server: { cpuSeconds: 'x' } } }));
    assert.throws(() => readResourcesFile(file), /groups.server is not a resource summary/);
  });
});

/** An engine on a unix socket: every stats answer adds 0.1 CPU s; "stopped" is not running. */
class FakeEngine {
  readonly socketPath = tempOut('engine.sock');
  readonly statsCalls = new Map<string, number>();
  private server = http.createServer((request, response) => this.answer(request.url ?? '', response));

  async start(): Promise<void> {
    this.server.listen(this.socketPath);
    await once(this.server, 'listening');
  }

  async stop(): Promise<void> {
    this.server.close();
    await once(this.server, 'close');
  }

  private answer(url: string, response: http.ServerResponse): void {
    const match = /^\/containers\/([^/]+)\/(json|stats)/.exec(url);
    const id = match?.[1];
    if (id === undefined || id === 'missing') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container"}');
      return;
    }
    const json = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (match![2] === 'json') {
      json({ Id: `${id}-full`, Name: `/project_${id}_1`, Image: `sha256:${id}`, Config: { Image: `image-of-${id}` }, State: { Running: id !== 'stopped' } });
      return;
    }
    assert.match(url, /stream=false/);
    const calls = (this.statsCalls.get(id) ?? 0) + 1;
    this.statsCalls.set(id, calls);
    json({ cpu_stats: { cpu_usage: { total_usage: calls * 1e8 } }, memory_stats: { usage: (10 + calls) * MB } });
  }
}

describe('benchlab sample-containers and merge --resources, against a stand-in engine', () => {
  const engine = new FakeEngine();
  before(() => engine.start());
  after(() => engine.stop());

  it('samples until SIGTERM, writes the groups, and merge puts them and the images into the result', async () => {
    const out = tempOut('prefork.resources.json');
    const child = spawn(
      process.execPath,
      [
        cliPath,
        'sample-containers',
        '--docker-socket',
        engine.socketPath,
        '--interval',
        '50',
        '--group',
        'server=a,b',
        '--group',
        'nginx=c',
        '--group',
        'database=d',
        '--out',
        out,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    while (!/sampling every 50 ms/.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.kill('SIGTERM');
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, stderr);

    const written = JSON.parse(fs.readFileSync(out, 'utf8')) as ContainerResources;
    const server = written.groups.server!;
    const calls = engine.statsCalls.get('a-full')!;
    assert.ok(server.samples >= 3, `${server.samples} samples`);
    assert.equal(server.processes, 2);
    // Both containers' CPU from the first sample to the last: (calls - 1) × 0.1 s each.
    assert.equal(server.cpuSeconds.toFixed(3), (((calls - 1) * 1e8 * 2) / 1e9).toFixed(3));
    assert.equal(server.rssPeakBytes, (10 + calls) * MB * 2);
    assert.deepEqual(
      written.containers.map((c) => `${c.group}=${c.name}`),
      ['server=project_a_1', 'server=project_b_1', 'nginx=project_c_1', 'database=project_d_1'],
    );

    const shards = path.dirname(tempOut('shards/x'));
    fs.mkdirSync(shards, { recursive: true });
    fs.writeFileSync(path.join(shards, 'shard-1.json'), JSON.stringify({ ...variantResultFixture(), meta: { app_cpus: '1' } }));
    const merged = path.join(path.dirname(tempOut('results/x')), 'prefork.json');
    const merge = await runCli(['merge', shards, '--out', merged, '--resources', out, '--quiet']);
    assert.equal(merge.code, 0, merge.stderr);
    const result = JSON.parse(fs.readFileSync(merged, 'utf8')) as VariantResult;
    assert.deepEqual(result.server, server);
    assert.deepEqual(result.nginx, written.groups.nginx);
    assert.deepEqual(result.database, written.groups.database);
    const run = JSON.parse(fs.readFileSync(path.join(path.dirname(merged), 'run.json'), 'utf8')) as RunInfo;
    const meta = run.options['meta'] as Record<string, string>;
    assert.equal(meta['image.server'], 'image-of-a@sha256:a,image-of-b@sha256:b');
    assert.equal(meta['image.database'], 'image-of-d@sha256:d');
    assert.equal(meta['app_cpus'], '1');
  });

  it('refuses a container that is not there or not running, naming it', async () => {
    const out = tempOut('none.json');
    for (const id of ['missing', 'stopped']) {
      const outcome = await runCli(['sample-containers', '--docker-socket', engine.socketPath, '--group', `server=${id}`, '--out', out], { timeoutMs: 20_000 });
      assert.equal(outcome.code, 2, outcome.stderr);
      assert.match(outcome.stderr, new RegExp(`container ${id} \\(server\\)`));
      assert.equal(fs.existsSync(out), false);
    }
  });

  it('without a merge --resources file, the cost columns stay unsampled (null)', async () => {
    const shards = path.dirname(tempOut('plain/x'));
    fs.mkdirSync(shards, { recursive: true });
    fs.writeFileSync(path.join(shards, 'shard-1.json'), JSON.stringify(variantResultFixture()));
    const outcome = await runCli(['merge', shards, '--json']);
    assert.equal(outcome.code, 0, outcome.stderr);
    const result = JSON.parse(outcome.stdout) as VariantResult;
    assert.equal(result.server, null);
    assert.equal(result.database, null);
  });
});
