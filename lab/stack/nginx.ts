import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LabError } from '../../common/errors.js';
import { findExecutable, isExecutableFile } from './executables.js';
import { nginxTemplateDir } from '../paths.js';
import { assertPortFree, urlHost } from './ports.js';
import { selfAndChildren } from './sampler.js';
import { startProcess, waitFor, type ManagedProcess } from './service.js';
import { DEFAULT_NGINX_LIMITS, rlimitFor, type NginxLimits } from './nginx-limits.js';

const execFileAsync = promisify(execFile);

export type Protocol = 'http' | 'fastcgi';
export type Upstream = { host: string; port: number } | { path: string };

export interface NginxConfigOptions {
  protocol: Protocol;
  /** Where the app server listens: TCP, or a unix socket path. */
  upstream: Upstream;
  listen: { host: string; port: number };
  /** nginx's prefix: config, logs, pid and temp files all live under it. */
  prefix: string;
  workers: number | 'auto';
  /** Idle upstream connections each nginx worker keeps open to the app. */
  keepalive: number;
  /** worker_connections and the listen backlog; nginxLimitsFor sizes them from the load. */
  limits?: NginxLimits;
}

export interface NginxConfig {
  mainConf: string;
  siteConf: string;
}

/** Where startNginx puts each file under a prefix. */
export function nginxPaths(prefix: string) {
  return {
    mainConf: path.join(prefix, 'nginx.conf'),
    siteConf: path.join(prefix, 'site.conf'),
    accessLog: path.join(prefix, 'logs', 'access.log'),
    errorLog: path.join(prefix, 'logs', 'error.log'),
    outputLog: path.join(prefix, 'logs', 'output.log'),
    tempDirs: ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => path.join(prefix, 'tmp', name)),
  };
}

const siteTemplateFiles: Record<Protocol, string> = {
  http: 'http-proxy.conf.template',
  fastcgi: 'fastcgi.conf.template',
};

/** Fills `${NAME}` placeholders the way envsubst would; nginx's own `$name` variables are left alone. */
export function renderTemplate(text: string, vars: Record<string, string | number>): string {
  const missing = new Set<string>();
  const rendered = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return String(value);
  });
  if (missing.size > 0) throw new Error(`nginx template needs a value for ${[...missing].join(', ')}`);
  return rendered;
}

function readTemplate(file: string): string {
  return fs.readFileSync(path.join(nginxTemplateDir, file), 'utf8');
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The two config files for a prefix, rendered from the templates in nginx/. */
export function nginxConfigFor(options: NginxConfigOptions): NginxConfig {
  const { workers, keepalive, upstream, listen, prefix } = options;
  if (workers !== 'auto' && !(Number.isInteger(workers) && workers >= 1)) {
    throw new LabError('BL_ERR_OPTION', `nginx workers must be a whole number ≥ 1 or "auto" (got ${workers})`);
  }
  if (!(Number.isInteger(keepalive) && keepalive >= 0)) {
    throw new LabError('BL_ERR_OPTION', `nginx upstream keepalive must be a whole number ≥ 0 (got ${keepalive})`);
  }
  const paths = nginxPaths(prefix);
  const limits = options.limits ?? DEFAULT_NGINX_LIMITS;
  const vars = {
    NGINX_PREFIX: prefix.replace(/\/+$/, ''),
    NGINX_WORKERS: workers,
    NGINX_CONNECTIONS: limits.connections,
    NGINX_RLIMIT_NOFILE: rlimitFor(limits.connections),
    NGINX_SITE: paths.siteConf,
    NGINX_LISTEN: `${hostPort(listen.host, listen.port)} backlog=${limits.backlog}`,
    NGINX_ACCESS_LOG: paths.accessLog,
    APP_UPSTREAM: 'path' in upstream ? `unix:${upstream.path}` : hostPort(upstream.host, upstream.port),
    UPSTREAM_KEEPALIVE: keepalive,
  };
  return {
    mainConf: renderTemplate(readTemplate('main.conf.template'), vars),
    siteConf: withoutUpstreamKeepalive(renderTemplate(readTemplate(siteTemplateFiles[options.protocol]), vars), keepalive === 0),
  };
}

/** keepalive 0 means a new upstream connection per request: nginx has no such value, so the directives go. */
function withoutUpstreamKeepalive(site: string, off: boolean): string {
  if (!off) return site;
  return site
    .replace(/upstream app \{[^}]*\}/, (block) => block.replace(/^\s*keepalive(_requests|_timeout)? [^;]*;\n/gm, ''))
    .replace(/fastcgi_keep_conn on;/, 'fastcgi_keep_conn off;');
}

const nginxInstallHint = 'nginx not found: install it with `apt-get install -y nginx` or run `npm run setup`';

/** The nginx binary: BENCHLAB_NGINX, else on PATH or in the usual sbin folders. */
export function findNginx(): string {
  const chosen = process.env['BENCHLAB_NGINX'];
  if (chosen !== undefined && chosen !== '') {
    if (isExecutableFile(chosen)) return chosen;
    throw new LabError(
      'BL_ERR_MISSING_TOOL',
      `nginx not found at ${chosen} (from BENCHLAB_NGINX): install it with \`apt-get install -y nginx\` or point BENCHLAB_NGINX at it`,
    );
  }
  const found = findExecutable('nginx');
  if (found === undefined) throw new LabError('BL_ERR_MISSING_TOOL', nginxInstallHint);
  return found;
}

/** The version number, e.g. "1.22.1". */
export async function nginxVersion(): Promise<string> {
  const { stdout, stderr } = await execFileAsync(findNginx(), ['-v']);
  const text = `${stderr}${stdout}`;
  return /nginx\/(\S+)/.exec(text)?.[1] ?? text.trim();
}

export interface StartNginxOptions extends Omit<NginxConfigOptions, 'prefix'> {
  /** Kept after stop when given; otherwise a temp folder is made and removed on stop. */
  prefix?: string;
  /** CPU list for `taskset -c`. */
  cpus?: string;
  /** The option that set the listen port, for the "port is busy" message. */
  portOption?: string;
  readyTimeoutMs?: number;
}

export interface NginxServer {
  url: string;
  prefix: string;
  accessLog: string;
  errorLog: string;
  process: ManagedProcess;
  /** Master and workers, for the resource sampler. */
  pids(): number[];
  /** True when the listen port accepts a connection now. */
  ready(): Promise<boolean>;
  stop(): Promise<void>;
}

/** Writes the config under a prefix, checks it with `nginx -t`, starts nginx and waits until it listens. */
export async function startNginx(options: StartNginxOptions): Promise<NginxServer> {
  const binary = findNginx();
  const { listen } = options;
  await assertPortFree(listen.host, listen.port, options.portOption ?? 'nginx listen port');

  const ownPrefix = options.prefix === undefined;
  const prefix = path.resolve(options.prefix ?? fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-nginx-')));
  const removePrefix = () => {
    if (ownPrefix) fs.rmSync(prefix, { recursive: true, force: true });
  };
  const paths = nginxPaths(prefix);
  const baseArgs = ['-p', `${prefix}/`, '-c', paths.mainConf, '-e', paths.errorLog];

  let nginx: ManagedProcess | undefined;
  try {
    for (const dir of [path.join(prefix, 'logs'), ...paths.tempDirs]) fs.mkdirSync(dir, { recursive: true });
    // Workers run as an unprivileged user when nginx starts as root and must reach the temp folders.
    fs.chmodSync(prefix, 0o755);
    fs.chmodSync(path.join(prefix, 'tmp'), 0o755);
    const config = nginxConfigFor({ ...options, prefix });
    fs.writeFileSync(paths.mainConf, config.mainConf);
    fs.writeFileSync(paths.siteConf, config.siteConf);

    await checkConfig(binary, baseArgs);

    nginx = await startProcess({
      name: 'nginx',
      command: binary,
      args: [...baseArgs, '-g', 'daemon off;'],
      cpus: options.cpus,
      logFile: paths.outputLog,
    });
    await waitFor(() => accepts(listen.host, listen.port), {
      timeoutMs: options.readyTimeoutMs ?? 10_000,
      intervalMs: 50,
      what: `nginx on ${hostPort(listen.host, listen.port)}`,
      process: nginx,
    });
  } catch (error) {
    await nginx?.stop();
    removePrefix();
    throw error;
  }

  const running = nginx;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${urlHost(listen.host)}:${listen.port}`,
    prefix,
    accessLog: paths.accessLog,
    errorLog: paths.errorLog,
    process: running,
    pids: () => (running.hasExited() ? [] : selfAndChildren(running.pid)),
    ready: () => accepts(listen.host, listen.port),
    stop() {
      stopping ??= running.stop().then(removePrefix);
      return stopping;
    },
  };
}

async function checkConfig(binary: string, baseArgs: string[]): Promise<void> {
  try {
    await execFileAsync(binary, [...baseArgs, '-t']);
  } catch (error) {
    const output = `${(error as { stderr?: string }).stderr ?? ''}`;
    const line =
      output.split('\n').find((text) => /\[(emerg|alert|crit|error)\]/.test(text)) ??
      output.split('\n').find((text) => text.trim() !== '') ??
      (error as Error).message;
    throw new LabError('BL_ERR_START', `nginx config check failed: ${line.replace(/^nginx: /, '').trim()}`);
  }
}

function accepts(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: urlHost(host).replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface AccessLogEntry {
  status: number;
  method: string;
  path: string;
  /** nginx's $request_time: first byte read from the client to last byte sent. */
  requestTimeMs: number;
  /** $upstream_response_time summed over tries; null when no upstream answered (e.g. nginx's own 4xx). */
  upstreamTimeMs: number | null;
  upstreamConnectMs: number | null;
  /** Whether the request carried the csrftoken cookie (null for lines without ck=). */
  hadCookie: boolean | null;
}

const accessLogLine = /^\S+ \[[^\]]*\] "([^"]*)" (\d{3}) \d+ rt=(\S+) urt=(.*?) uct=(.*?)(?: ck=([01]))?$/;

/** Reads lines written with the `benchlab` log_format; other lines are skipped. */
export function parseAccessLog(text: string): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const line of text.split('\n')) {
    const match = accessLogLine.exec(line.trim());
    if (match === null) continue;
    const [, request, status, requestTime, upstreamTime, connectTime, cookie] = match;
    const [method = '', target = ''] = request!.split(' ');
    entries.push({
      status: Number(status),
      method,
      path: target,
      requestTimeMs: secondsToMs(Number(requestTime)),
      upstreamTimeMs: upstreamSeconds(upstreamTime!),
      upstreamConnectMs: upstreamSeconds(connectTime!),
      hadCookie: cookie === undefined ? null : cookie === '1',
    });
  }
  return entries;
}

// Several tries are listed as "0.001, 0.002" (and internal redirects as "a : b"); "-" means none.
function upstreamSeconds(field: string): number | null {
  const numbers = field
    .split(/[,:]/)
    .map((part) => part.trim())
    .filter((part) => part !== '-' && part !== '')
    .map(Number);
  if (numbers.length === 0 || numbers.some(Number.isNaN)) return null;
  return secondsToMs(numbers.reduce((sum, value) => sum + value, 0));
}

// nginx logs milliseconds as fractional seconds; rounding drops float noise such as 3.0000000000000004.
function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e3;
}
