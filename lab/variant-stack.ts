import path from 'node:path';
import { RUN_DEFAULTS } from './defaults.js';
import { cliPath } from './paths.js';
import { freePort } from './ports.js';
import { startNginx, type NginxServer } from './nginx.js';
import { startProcess, waitFor, type ManagedProcess } from './service.js';
import type { VariantSpec } from '../apps/variants.js';

export interface VariantStackOptions {
  databaseUrl: string;
  workers: number;
  threads: number;
  dbPool: number;
  /** taskset list for the app and nginx, or undefined. */
  serverCpus: string | undefined;
  /** Where the app log and the nginx prefix go. */
  workDir: string;
}

/** A variant running behind its own nginx: what every measurement, check and fault works on. */
export interface VariantStack {
  variant: VariantSpec;
  /** nginx's base URL. */
  target: string;
  /** Where the app itself listens on 127.0.0.1 (HTTP or FastCGI). */
  appPort: number;
  app: ManagedProcess;
  nginx: NginxServer;
  /** From starting the app until it answered /healthz through nginx. */
  startMs: number;
  /** Worker processes or threads the variant runs with. */
  workers: number;
  stop(): Promise<void>;
}

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
  await res.arrayBuffer();
  return res.status === 200;
}

export function workersOf(variant: VariantSpec, options: Pick<VariantStackOptions, 'workers' | 'threads'>): number {
  if (variant.model === 'threaded') return options.threads;
  if (variant.model === 'prefork') return options.workers;
  return 1;
}

/** Starts `benchlab serve` for the variant and nginx in front, and waits until /healthz answers through both. */
export async function startVariantStack(variant: VariantSpec, options: VariantStackOptions): Promise<VariantStack> {
  const pin = options.serverCpus !== undefined ? { cpus: options.serverCpus } : {};
  const appPort = await freePort();
  const started = performance.now();
  const app = await startProcess({
    name: variant.name,
    command: process.execPath,
    args: [
      cliPath, 'serve',
      '--variant', variant.name,
      '--listen', `127.0.0.1:${appPort}`,
      '--database', options.databaseUrl,
      '--workers', String(options.workers),
      '--threads', String(options.threads),
      '--db-pool', String(options.dbPool),
    ],
    ...pin,
    logFile: path.join(options.workDir, `${variant.name}.app.log`),
  });
  let nginx: NginxServer | undefined;
  try {
    nginx = await startNginx({
      protocol: variant.protocol,
      upstream: { host: '127.0.0.1', port: appPort },
      listen: { host: '127.0.0.1', port: await freePort() },
      workers: RUN_DEFAULTS.nginxWorkers,
      keepalive: RUN_DEFAULTS.upstreamKeepalive,
      prefix: path.join(options.workDir, `nginx-${variant.name}`),
      ...pin,
    });
    const target = nginx.url;
    await waitFor(() => healthy(target), {
      timeoutMs: RUN_DEFAULTS.startTimeoutMs,
      intervalMs: 100,
      what: `${variant.name} behind nginx (${target}/healthz)`,
      process: app,
    });
  } catch (error) {
    await nginx?.stop();
    await app.stop();
    throw error;
  }
  const proxy = nginx;
  let stopping: Promise<void> | undefined;
  return {
    variant,
    target: proxy.url,
    appPort,
    app,
    nginx: proxy,
    startMs: Math.round(performance.now() - started),
    workers: workersOf(variant, options),
    stop() {
      stopping ??= proxy.stop().then(() => app.stop());
      return stopping;
    },
  };
}
