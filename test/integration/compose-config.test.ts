// docker-compose.yml checked without a Docker engine: Debian's docker-compose validates it and renders it
// with its defaults, and the rendered services must be the lab's own parts, wired to each other.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { VARIANT_SETS, findVariant, type Protocol } from '../../apps/variants.js';
import { findExecutable } from '../../lab/stack/executables.js';
import { packageRoot } from '../../lab/paths.js';
import { RUN_DEFAULTS } from '../../common/defaults.js';

interface Service {
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: Array<string | Record<string, unknown>>;
  depends_on?: Record<string, unknown> | string[];
  build?: string | { context?: string; target?: string };
  deploy?: { resources?: { limits?: { cpus?: number | string; memory?: string } }; replicas?: number };
  [key: string]: unknown;
}

const COMPOSE_FILE = path.join(packageRoot, 'docker-compose.yml');
const SWARM_DNSRR_FILE = path.join(packageRoot, 'docker-compose.swarm-dnsrr.yml');
// The Compose Specification's schema, as Compose v2 (compose-go) validates with it: docker/compose-spec/README.md.
const COMPOSE_SPEC_SCHEMA = path.join(packageRoot, 'docker', 'compose-spec', 'compose-spec.json');
const TEMPLATE_TARGET = '/etc/nginx/templates/default.conf.template';
const TEMPLATE_FILES: Record<Protocol, string> = { http: 'http-proxy.conf.template', fastcgi: 'fastcgi.conf.template' };

// What `docker stack deploy` accepts (the Compose file format 3.x): a key outside these lists fails it.
const STACK_TOP_KEYS = ['version', 'services', 'networks', 'volumes', 'secrets', 'configs'];
const STACK_SERVICE_KEYS = [
  'deploy',
  'build',
  'cap_add',
  'cap_drop',
  'cgroupns_mode',
  'cgroup_parent',
  'command',
  'configs',
  'container_name',
  'credential_spec',
  'depends_on',
  'devices',
  'dns',
  'dns_search',
  'domainname',
  'entrypoint',
  'env_file',
  'environment',
  'expose',
  'external_links',
  'extra_hosts',
  'healthcheck',
  'hostname',
  'image',
  'init',
  'ipc',
  'isolation',
  'labels',
  'links',
  'logging',
  'mac_address',
  'network_mode',
  'networks',
  'pid',
  'ports',
  'privileged',
  'read_only',
  'restart',
  'security_opt',
  'shm_size',
  'secrets',
  'sysctls',
  'stdin_open',
  'stop_grace_period',
  'stop_signal',
  'tmpfs',
  'tty',
  'ulimits',
  'oom_score_adj',
  'user',
  'userns_mode',
  'volumes',
  'working_dir',
];
const STACK_DEPLOY_KEYS = ['mode', 'endpoint_mode', 'replicas', 'labels', 'rollback_config', 'update_config', 'resources', 'restart_policy', 'placement'];
const STACK_HEALTHCHECK_KEYS = ['disable', 'interval', 'retries', 'test', 'timeout', 'start_period'];

const isExtension = (key: string) => key.startsWith('x-');

const MISSING_COMPOSE =
  'docker-compose is not installed: `apt-get install -y --no-install-recommends docker-compose` (or `npm run setup`) so the compose file can be validated';

/** docker-compose with only the given BENCHLAB_* variables, so the file's defaults are what is checked. */
function dockerCompose(args: string[], vars: Record<string, string> = {}) {
  const binary = findExecutable('docker-compose');
  if (binary === undefined) assert.fail(MISSING_COMPOSE);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('BENCHLAB_') && !key.startsWith('COMPOSE_')));
  const result = spawnSync(binary, ['-f', COMPOSE_FILE, ...args], { cwd: packageRoot, env: { ...env, ...vars }, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return result;
}

function renderedServices(vars: Record<string, string> = {}): Record<string, Service> {
  const rendered = dockerCompose(['config'], vars);
  assert.equal(rendered.status, 0, rendered.stderr);
  return (parse(rendered.stdout) as { services: Record<string, Service> }).services;
}

/** The whole command line: compose runs entrypoint + command. */
function argv(service: Service): string[] {
  return [...(service.entrypoint ?? []), ...(service.command ?? [])];
}

function optionValue(args: string[], option: string): string | undefined {
  const at = args.indexOf(option);
  return at < 0 ? undefined : args[at + 1];
}

function metaOf(args: string[]): Record<string, string> {
  return Object.fromEntries(args.flatMap((arg, i) => (args[i - 1] === '--meta' ? [arg.split(/=(.*)/s).slice(0, 2)] : [])));
}

function dependsOn(service: Service): string[] {
  const deps = service.depends_on ?? [];
  return Array.isArray(deps) ? deps : Object.keys(deps);
}

const checkedVariants = [...new Set([...(VARIANT_SETS['design'] ?? []), ...(VARIANT_SETS['seed'] ?? [])])];

describe('docker-compose.yml, without a Docker engine', () => {
  let services: Record<string, Service>;

  before(() => {
    services = renderedServices();
  });

  test('docker-compose config -q accepts the file', () => {
    const checked = dockerCompose(['config', '-q']);
    assert.equal(checked.status, 0, checked.stderr);
  });

  test('the manifest still names the design set, so the checks below cover it', () => {
    assert.ok(checkedVariants.includes('prefork') && checkedVariants.includes('threaded') && checkedVariants.includes('fastcgi'));
  });

  for (const name of checkedVariants) {
    test(`${name}: app, nginx and client are the lab's own parts, wired to each other`, () => {
      const variant = findVariant(name);
      assert.ok(variant, `${name} is in the manifest`);
      const app = services[`${name}-app`];
      const nginx = services[`${name}-nginx`];
      const client = services[name];
      assert.ok(app && nginx && client, `services ${name}-app, ${name}-nginx and ${name} exist`);

      const appArgs = argv(app);
      assert.deepEqual(appArgs.slice(0, 3), ['node', 'dist/cli/benchlab.js', 'serve']);
      assert.equal(optionValue(appArgs, '--variant'), name);
      assert.equal(optionValue(appArgs, '--listen'), '0.0.0.0:9000');
      assert.match(optionValue(appArgs, '--database') ?? '', /^mysql:\/\/root:[^@]*@db:3306\/benchlab$/);
      assert.deepEqual(dependsOn(app), ['db']);

      const template = path.join(packageRoot, 'nginx', TEMPLATE_FILES[variant.protocol]);
      assert.ok(fs.existsSync(template));
      assert.ok(nginx.volumes?.includes(`${template}:${TEMPLATE_TARGET}:ro`), `${name}-nginx mounts ${template}: ${JSON.stringify(nginx.volumes)}`);
      assert.match(nginx.image ?? '', /^nginx:/);
      assert.equal(nginx.environment?.['APP_UPSTREAM'], `${name}-app:9000`);
      const placeholders = [...fs.readFileSync(template, 'utf8').matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!);
      for (const placeholder of placeholders) assert.ok(nginx.environment?.[placeholder], `${name}-nginx sets ${placeholder}`);
      assert.equal(nginx.environment?.['NGINX_LISTEN'], '8080');
      // The image's nginx.conf says `worker_processes auto`; the script sets the native lab's default.
      const workerScript = path.join(packageRoot, 'nginx', 'worker-processes.sh');
      assert.ok(nginx.volumes?.includes(`${workerScript}:/docker-entrypoint.d/40-benchlab-worker-processes.sh:ro`), `${name}-nginx runs ${workerScript}`);
      assert.equal(nginx.environment?.['NGINX_WORKERS'], String(RUN_DEFAULTS.nginxWorkers));
      assert.deepEqual(dependsOn(nginx), [`${name}-app`]);

      const clientArgs = argv(client);
      assert.deepEqual(clientArgs.slice(0, 3), ['node', 'dist/cli/benchlab.js', 'load']);
      assert.equal(optionValue(clientArgs, '--target'), `http://${name}-nginx:8080`);
      assert.equal(optionValue(clientArgs, '--expect-backend'), name);
      assert.equal(optionValue(clientArgs, '--out'), `/results/shards/${name}/`);
      assert.deepEqual(dependsOn(client), [`${name}-nginx`]);
    });
  }

  test('every app service has the same CPU and memory limits, and its client records them', () => {
    const apps = Object.entries(services).filter(([name]) => name.endsWith('-app'));
    assert.ok(apps.length >= checkedVariants.length);
    for (const [name] of apps) assert.ok(findVariant(name.replace(/-app$/, '')), `${name} serves a variant of the manifest`);
    const limits = apps.map(([, service]) => service.deploy?.resources?.limits);
    assert.deepEqual(limits[0], { cpus: 1, memory: '1g' });
    for (const [i, [name]] of apps.entries()) assert.deepEqual(limits[i], limits[0], `${name} has the same limits`);
    for (const name of checkedVariants) {
      const meta = metaOf(argv(services[name]!));
      assert.equal(Number(meta['app_cpus']), 1);
      assert.equal(meta['app_memory'], '1g');
    }
  });

  test('limits, users and the client count follow the environment', () => {
    const tuned = renderedServices({
      BENCHLAB_APP_CPUS: '2',
      BENCHLAB_APP_MEMORY: '512m',
      BENCHLAB_USERS: '2000',
      BENCHLAB_CLIENTS: '4',
      BENCHLAB_NGINX_WORKERS: '2',
      BENCHLAB_CLIENT_THREADS: '4',
    });
    for (const [name, service] of Object.entries(tuned)) {
      if (name.endsWith('-app')) assert.deepEqual(service.deploy?.resources?.limits, { cpus: 2, memory: '512m' }, name);
    }
    const client = argv(tuned['prefork']!);
    assert.deepEqual(metaOf(client)['app_cpus'], '2');
    assert.equal(optionValue(client, '--users'), '2000');
    assert.equal(optionValue(client, '--threads'), '4');
    assert.equal(optionValue(client, '--self-warm-users'), '2000', "each client warms its own code first, as the native lab's do");
    assert.equal(optionValue(argv(renderedServices({ BENCHLAB_SELF_WARM_USERS: '0' })['prefork']!), '--self-warm-users'), '0');
    assert.equal(tuned['prefork']!.deploy?.replicas, 4);
    assert.equal(tuned['prefork-nginx']!.environment?.['NGINX_WORKERS'], '2');
    assert.equal(metaOf(client)['nginx_workers'], '2', 'the client records the worker count in its shard');
  });

  test('ref-gunicorn runs the command the native lab runs, from the Dockerfile stage that installs what it requires', () => {
    const variant = findVariant('ref-gunicorn');
    assert.ok(variant?.command, 'ref-gunicorn is a foreign variant with a command');
    const app = services['ref-gunicorn-app']!;
    const expected = variant.command.argv.map((arg) => arg.replace('{workers}', '3').replace('{listen}', '0.0.0.0:9000'));
    assert.deepEqual(argv(app), expected);
    assert.match(app.environment?.['DATABASE_URL'] ?? '', /^mysql:\/\/root:[^@]*@db:3306\/benchlab$/);
    assert.equal(app.environment?.['BENCHLAB_BACKEND'], 'ref-gunicorn');
    assert.deepEqual(dependsOn(app), ['db']);
    assert.equal(typeof app.build === 'object' ? app.build.target : undefined, 'ref-gunicorn');

    const dockerfile = fs.readFileSync(path.join(packageRoot, 'Dockerfile'), 'utf8');
    const stage = /^FROM \S+ AS ref-gunicorn$([\s\S]*?)(?=^FROM |$(?![\s\S]))/m.exec(dockerfile)?.[1];
    assert.ok(stage, 'the Dockerfile has a ref-gunicorn stage');
    const packages = variant.command.requires!.install.replace(/^apt-get install -y /, '').split(' ');
    for (const name of packages) assert.match(stage, new RegExp(`apt-get install [^\\n]*\\b${name}\\b`), `the stage installs ${name}`);
    assert.match(stage, new RegExp(`^WORKDIR /app/${variant.command.cwd}$`, 'm'));
    assert.match(stage, new RegExp(`^COPY ${variant.command.cwd} \\./$`, 'm'));
    assert.doesNotMatch(fs.readFileSync(path.join(packageRoot, '.dockerignore'), 'utf8'), /^apps/m, 'apps/ reaches the build');

    assert.equal(services['ref-gunicorn-nginx']?.environment?.['APP_UPSTREAM'], 'ref-gunicorn-app:9000');
    const client = argv(services['ref-gunicorn']!);
    assert.equal(optionValue(client, '--target'), 'http://ref-gunicorn-nginx:8080');
    assert.equal(optionValue(client, '--expect-backend'), 'ref-gunicorn');
  });

  test("the image's build stage copies every folder tsconfig.json compiles, except those .dockerignore keeps out", () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(packageRoot, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const ignored = fs
      .readFileSync(path.join(packageRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    const dockerfile = fs.readFileSync(path.join(packageRoot, 'Dockerfile'), 'utf8');
    const buildStage = /^FROM \S+ AS build$([\s\S]*?)^FROM /m.exec(dockerfile)?.[1] ?? '';
    for (const folder of tsconfig.include.filter((f) => !ignored.includes(f))) {
      assert.match(buildStage, new RegExp(`^COPY ${folder} \\./${folder}$`, 'm'), `the build stage copies ${folder}/`);
    }
  });

  test('it keeps to the keys docker stack deploy accepts', () => {
    const raw = parse(fs.readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Record<string, unknown>;
    for (const key of Object.keys(raw)) assert.ok(STACK_TOP_KEYS.includes(key) || isExtension(key), `top-level key ${key}`);
    for (const [name, service] of Object.entries(raw['services'] as Record<string, Service>)) {
      for (const key of Object.keys(service))
        assert.ok(STACK_SERVICE_KEYS.includes(key) || isExtension(key), `${name}: ${key} is not accepted by docker stack deploy`);
      assert.ok(service.depends_on === undefined || Array.isArray(service.depends_on), `${name}: depends_on must be a list for docker stack deploy`);
      for (const key of Object.keys(service.deploy ?? {})) assert.ok(STACK_DEPLOY_KEYS.includes(key), `${name}: deploy.${key}`);
      for (const key of Object.keys((service['healthcheck'] as object | undefined) ?? {}))
        assert.ok(STACK_HEALTHCHECK_KEYS.includes(key), `${name}: healthcheck.${key}`);
    }
  });
});

/** Compose's interpolation of one string: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR:+other}, $VAR, $$. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced, colon, op, word, bare) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare) as string;
    const value = env[name];
    const unset = value === undefined || (colon === ':' && value === '');
    if (op === '-') return unset ? (word as string) : value!;
    if (op === '+') return unset ? '' : (word as string);
    if (op === '?' && unset) throw new Error(`${name} is required: ${word as string}`);
    return value ?? '';
  });
}

function interpolated(node: unknown, env: Record<string, string>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolated(item, env));
  if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolated(value, env)]));
  return node;
}

/** Compose's merge of a later file onto an earlier one, for mappings (all the swarm override holds). */
function mergedOnto(base: unknown, override: unknown): unknown {
  if (base === null || override === null || typeof base !== 'object' || typeof override !== 'object' || Array.isArray(base) || Array.isArray(override))
    return override;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) out[key] = key in out ? mergedOnto(out[key], value) : value;
  return out;
}

describe('docker-compose.yml against the Compose Specification (Compose v2)', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(COMPOSE_SPEC_SCHEMA, 'utf8')) as object);
  // YAML merge keys (<<: *anchor) resolved, as Compose's YAML decoder does.
  const load = (file: string) => parse(fs.readFileSync(file, 'utf8'), { merge: true }) as unknown;
  const problems = (model: unknown) => (validate(model) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''}`));

  test('the schema is the one Compose v2 uses, with its licence beside it', () => {
    const schema = JSON.parse(fs.readFileSync(COMPOSE_SPEC_SCHEMA, 'utf8')) as { $schema?: string; title?: string };
    assert.equal(schema.title, 'Compose Specification');
    assert.match(schema.$schema ?? '', /2020-12/);
    for (const file of ['LICENSE', 'NOTICE', 'README.md']) assert.ok(fs.existsSync(path.join(path.dirname(COMPOSE_SPEC_SCHEMA), file)), file);
  });

  test('interpolation follows Compose: defaults, set values, $$', () => {
    assert.equal(interpolate('${A:-1} ${B-2} ${C:-x} $$D ${E:+on}', { B: '', C: 'c', E: 'y' }), '1  c $D on');
  });

  test('the file is valid as written, with ${VAR} placeholders', () => {
    assert.deepEqual(problems(load(COMPOSE_FILE)), []);
  });

  for (const [label, env] of [
    ['every variable at its default', {}],
    [
      'the variables compare-docker and the offline images set',
      { BENCHLAB_USER: '1000:1000', BENCHLAB_CLIENTS: '2', BENCHLAB_NODE_IMAGE: 'benchlab-offline/node:20-x', BENCHLAB_START_AT: '1767225600000' },
    ],
  ] as const) {
    test(`the file is valid with ${label}`, () => {
      assert.deepEqual(problems(interpolated(load(COMPOSE_FILE), env)), []);
    });
  }

  test('the Swarm dnsrr override is valid merged onto the file, and names only its services', () => {
    const override = load(SWARM_DNSRR_FILE) as { services: Record<string, unknown> };
    const base = load(COMPOSE_FILE) as { services: Record<string, unknown> };
    assert.deepEqual(Object.keys(override.services).sort(), Object.keys(base.services).sort(), 'the override lists every service of the file');
    assert.deepEqual(problems(interpolated(mergedOnto(base, override), {})), []);
    assert.deepEqual(problems(override), [], 'and on its own');
  });

  test('a wrong key is caught, so the checks above are real', () => {
    const broken = load(COMPOSE_FILE) as { services: Record<string, Record<string, unknown>> };
    broken.services['db']!['deploy'] = { replica: 1 };
    assert.notDeepEqual(problems(broken), []);
  });
});
