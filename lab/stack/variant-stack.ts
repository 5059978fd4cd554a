import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUN_DEFAULTS } from '../../common/defaults.js';
import { freePort } from './ports.js';
import { startNginx, type NginxServer } from './nginx.js';
import type { NginxLimits } from './nginx-limits.js';
import { startProcess, waitFor, type ManagedProcess } from './service.js';
import { processTree } from './sampler.js';
import { confineTree } from './confine.js';
import { variantCommand, type VariantCommand } from './variant-command.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { childOfThisLab } from './parent-watch.js';
import type { ListenAddress } from '../../apps/listen.js';
import type { VariantSpec } from '../../apps/variants.js';

export interface VariantStackOptions {
  databaseUrl: string;
  workers: number;
  threads: number;
  /** Requests each thread of a threaded variant serves at once. */
  threadTasks?: number;
  dbPool: number;
  /** taskset list for the app and nginx, or undefined. */
  serverCpus: string | undefined;
  /** Where the app may run while it starts (the server's and the idle client's CPUs); confined to serverCpus once up. */
  startCpus?: string | undefined;
  /** `nice -n` for the app: a stack started beside another yields the CPUs to it. */
  niceness?: number;
  /** Where the app log and the nginx prefix go. */
  workDir: string;
  /** How nginx reaches the app. */
  appSocket?: 'tcp' | 'unix';
  /** Idle upstream connections nginx keeps per worker; 0 opens one per request. */
  upstreamKeepalive?: number;
  nginxWorkers?: number;
  /** nginx's worker_connections and listen backlog; a size for a modest load when not given. */
  nginxLimits?: NginxLimits;
  backlog?: number;
  /** false: ready once the app answers /healthz at all (any status but nginx's 502/504), for a stack meant to lack its database. */
  expectHealthy?: boolean;
}

/** A variant running behind its own nginx: what every measurement, check and fault works on. */
export interface VariantStack {
  variant: VariantSpec;
  /** nginx's base URL. */
  target: string;
  /** Where the app listens: 127.0.0.1:port (HTTP or FastCGI), or a unix socket. */
  appAddress: ListenAddress;
  /** The TCP port, when it listens on one. */
  appPort: number;
  app: ManagedProcess;
  nginx: NginxServer;
  /** From starting the app until it answered /healthz through nginx. */
  startMs: number;
  /** Worker processes or threads the variant runs with. */
  workers: number;
  /** SIGTERM to the app server, then the same command again on the same address (the stop-app fault). */
  restartApp(): Promise<AppRestart>;
  stop(): Promise<void>;
}

export interface AppRestart {
  oldPid: number;
  newPid: number;
  /** From SIGTERM until the old server had exited. */
  stoppedMs: number;
  /** From starting the new server until it answered /healthz through nginx. */
  startedMs: number;
}

// A supervisor's wait for a graceful exit before it kills the app's whole process group.
const APP_STOP_GRACE_MS = 10_000;

async function healthy(url: string, expectHealthy: boolean): Promise<boolean> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return expectHealthy ? res.status === 200 : res.headers.get('x-backend') !== null;
}

export function workersOf(variant: VariantSpec, options: Pick<VariantStackOptions, 'workers' | 'threads'>): number {
  if (variant.model === 'threaded') return options.threads;
  if (variant.model === 'prefork') return options.workers;
  return 1;
}

/** A unix socket in its own short temp folder (socket paths are limited to 107 bytes) that nginx's workers may enter. */
function socketAddress(): { address: ListenAddress; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-sock-'));
  fs.chmodSync(dir, 0o755);
  return { address: { path: path.join(dir, 'app.sock') }, dir };
}

/** One attempt at starting the stack; a port taken in the meantime is retried by the caller. */
async function startVariantStackOnce(variant: VariantSpec, options: VariantStackOptions): Promise<VariantStack> {
  const pin = options.serverCpus !== undefined ? { cpus: options.serverCpus } : {};
  const socket = options.appSocket === 'unix' ? socketAddress() : undefined;
  const appPort = socket ? 0 : await freePort();
  const appAddress: ListenAddress = socket?.address ?? { host: '127.0.0.1', port: appPort };
  const removeSocketDir = () => {
    if (socket) fs.rmSync(socket.dir, { recursive: true, force: true });
  };
  const started = performance.now();
  let app: ManagedProcess | undefined;
  let nginx: NginxServer | undefined;
  let command: VariantCommand | undefined;
  const launch = (run: VariantCommand, cpus = options.serverCpus) =>
    startProcess({
      name: variant.name,
      ...run,
      env: childOfThisLab(run.env),
      ...(cpus !== undefined ? { cpus } : {}),
      ...(options.niceness !== undefined ? { niceness: options.niceness } : {}),
      logFile: path.join(options.workDir, `${variant.name}.app.log`),
    });
  const startCpus = options.serverCpus !== undefined && options.startCpus !== undefined ? options.startCpus : options.serverCpus;
  try {
    command = variantCommand(variant, {
      listen: appAddress,
      databaseUrl: options.databaseUrl,
      workers: options.workers,
      threads: options.threads,
      threadTasks: options.threadTasks ?? RUN_DEFAULTS.threadTasks,
      dbPool: options.dbPool,
      backlog: options.backlog ?? RUN_DEFAULTS.backlog,
    });
    app = await launch(command, startCpus);
    nginx = await startNginx({
      protocol: variant.protocol,
      upstream: appAddress,
      listen: { host: '127.0.0.1', port: await freePort() },
      workers: options.nginxWorkers ?? RUN_DEFAULTS.nginxWorkers,
      keepalive: options.upstreamKeepalive ?? RUN_DEFAULTS.upstreamKeepalive,
      ...(options.nginxLimits ? { limits: options.nginxLimits } : {}),
      prefix: path.join(options.workDir, `nginx-${variant.name}`),
      ...pin,
    });
    const target = nginx.url;
    await waitFor(() => healthy(target, options.expectHealthy ?? true), {
      timeoutMs: RUN_DEFAULTS.startTimeoutMs,
      intervalMs: 100,
      what: `${variant.name} behind nginx (${target}/healthz)`,
      process: app,
    });
    // One worker answering is not all of them: a prefork server (gunicorn above all) boots its workers one by one.
    if (variant.model === 'prefork') {
      const server = app;
      await waitFor(async () => processTree([server.pid]).length - 1 >= options.workers, {
        timeoutMs: RUN_DEFAULTS.startTimeoutMs,
        intervalMs: 50,
        what: `${variant.name}'s ${options.workers} workers`,
        process: server,
      });
    }
    if (startCpus !== options.serverCpus) await confineTree(app.pid, options.serverCpus!, `${variant.name}'s processes`);
  } catch (error) {
    await nginx?.stop();
    await app?.stop();
    removeSocketDir();
    throw error;
  }
  const proxy = nginx;
  const appCommand = command;
  let server = app;
  let stopping: Promise<void> | undefined;
  return {
    variant,
    target: proxy.url,
    appAddress,
    appPort,
    get app() {
      return server;
    },
    nginx: proxy,
    startMs: Math.round(performance.now() - started),
    workers: workersOf(variant, options),
    async restartApp() {
      const old = server;
      const stopAt = performance.now();
      // The server process alone, as a supervisor would signal it; the whole group only if it hangs.
      try {
        process.kill(old.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const grace = new AbortController();
      await Promise.race([old.exited, sleep(APP_STOP_GRACE_MS, undefined, { signal: grace.signal }).catch(() => undefined)]);
      grace.abort();
      await old.stop();
      const startAt = performance.now();
      server = await launch(appCommand);
      await waitFor(() => healthy(proxy.url, true), {
        timeoutMs: RUN_DEFAULTS.startTimeoutMs,
        intervalMs: 50,
        what: `${variant.name} restarted behind nginx (${proxy.url}/healthz)`,
        process: server,
      });
      return { oldPid: old.pid, newPid: server.pid, stoppedMs: Math.round(startAt - stopAt), startedMs: Math.round(performance.now() - startAt) };
    },
    stop() {
      stopping ??= proxy
        .stop()
        .then(() => server.stop())
        .then(removeSocketDir);
      return stopping;
    },
  };
}

// A free port is chosen, then bound by another process: another program may take it in between.
const PORT_RACE_ATTEMPTS = 3;

function isPortRace(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /is busy|EADDRINUSE|Address already in use/.test(message);
}

/** Starts the variant's server and nginx in front, and waits until /healthz answers through both. */
export async function startVariantStack(variant: VariantSpec, options: VariantStackOptions): Promise<VariantStack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startVariantStackOnce(variant, options);
    } catch (error) {
      if (attempt >= PORT_RACE_ATTEMPTS || !isPortRace(error)) throw error;
    }
  }
}
