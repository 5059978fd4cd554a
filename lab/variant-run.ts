import fs from 'node:fs';
import path from 'node:path';
import { LabError } from './errors.js';
import { RUN_DEFAULTS } from './defaults.js';
import { cliPath } from './paths.js';
import { freePort } from './ports.js';
import { startNginx, type NginxServer } from './nginx.js';
import { startProcess, waitFor, type ManagedProcess } from './service.js';
import { startSampler } from './sampler.js';
import type { Database } from './database.js';
import type { RunOptions } from './run-options.js';
import { runLoad } from '../client/load.js';
import type { LoadResult, ResourceSummary, VariantResult } from '../client/result.js';
import type { VariantSpec } from '../apps/variants.js';

export interface VariantRunContext {
  options: RunOptions;
  database: Database;
  /** Where logs and the client's raw result go. */
  workDir: string;
  runTag: string;
  log(line: string): void;
  signal: AbortSignal;
  /** Let the measuring client draw its progress line on this terminal. */
  showProgress: boolean;
}

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
  await res.arrayBuffer();
  return res.status === 200;
}

function serveArgs(variant: VariantSpec, listen: string, ctx: VariantRunContext): string[] {
  const o = ctx.options;
  return [
    cliPath, 'serve',
    '--variant', variant.name,
    '--listen', listen,
    '--database', ctx.database.url,
    '--workers', String(o.workers),
    '--threads', String(o.threads),
    '--db-pool', String(o.dbPool),
  ];
}

/** The measured load runs in its own `benchlab load` process, pinned to the client CPUs. */
async function measuredLoad(variant: VariantSpec, target: string, ctx: VariantRunContext): Promise<LoadResult> {
  const o = ctx.options;
  const out = path.join(ctx.workDir, `${variant.name}.load.json`);
  const client = await startProcess({
    name: 'client',
    command: process.execPath,
    args: [
      cliPath, 'load',
      '--target', target,
      '--users', String(o.users),
      '--ramp', String(o.rampSeconds),
      '--timeout', String(o.timeoutMs),
      '--arrival', o.arrival,
      '--label', variant.name,
      '--expect-backend', variant.name,
      '--run-tag', ctx.runTag,
      '--out', out,
      '--quiet',
    ],
    ...(o.clientCpus !== undefined ? { cpus: o.clientCpus } : {}),
    logFile: path.join(ctx.workDir, `${variant.name}.client.log`),
    inheritOutput: ctx.showProgress,
  });
  const exit = await client.exited;
  if (exit.code !== 0 || !fs.existsSync(out)) {
    throw new LabError('BL_ERR_START', `the client for ${variant.name} failed (${exit.signal ?? `code ${exit.code}`}); see ${client.logFile}`);
  }
  return JSON.parse(fs.readFileSync(out, 'utf8')) as LoadResult;
}

/** One variant, start to finish: start, check, warm up, measure, audit, and stop everything. */
export async function runVariant(variant: VariantSpec, ctx: VariantRunContext): Promise<VariantResult> {
  const o = ctx.options;
  let app: ManagedProcess | undefined;
  let nginx: NginxServer | undefined;
  try {
    await ctx.database.resetTable();
    const appPort = await freePort();
    const started = performance.now();
    app = await startProcess({
      name: variant.name,
      command: process.execPath,
      args: serveArgs(variant, `127.0.0.1:${appPort}`, ctx),
      ...(o.serverCpus !== undefined ? { cpus: o.serverCpus } : {}),
      logFile: path.join(ctx.workDir, `${variant.name}.app.log`),
    });
    nginx = await startNginx({
      protocol: variant.protocol,
      upstream: { host: '127.0.0.1', port: appPort },
      listen: { host: '127.0.0.1', port: await freePort() },
      workers: RUN_DEFAULTS.nginxWorkers,
      keepalive: RUN_DEFAULTS.upstreamKeepalive,
      prefix: path.join(ctx.workDir, `nginx-${variant.name}`),
      ...(o.serverCpus !== undefined ? { cpus: o.serverCpus } : {}),
    });
    const target = nginx.url;
    await waitFor(() => healthy(target), {
      timeoutMs: RUN_DEFAULTS.startTimeoutMs,
      intervalMs: 100,
      what: `${variant.name} behind nginx (${target}/healthz)`,
      process: app,
    });
    const startMs = performance.now() - started;
    ctx.log(`${variant.name}: up in ${Math.round(startMs)} ms behind ${target}`);

    const check = await runLoad(
      { target, variant: variant.name, users: 1, rampSeconds: 0, timeoutMs: o.timeoutMs, arrival: 'uniform', runTag: `${ctx.runTag}c`, expectBackend: variant.name, checkOwnPost: true },
      { signal: ctx.signal },
    );
    if (check.users.ok !== 1) {
      throw new LabError('BL_ERR_START', `${variant.name} failed the contract check (GET, POST+302, GET): ${Object.keys(check.errors).join(', ')}`);
    }
    if (o.warmupUsers > 0) {
      await runLoad(
        { target, variant: variant.name, users: o.warmupUsers, rampSeconds: RUN_DEFAULTS.warmupRampSeconds, timeoutMs: o.timeoutMs, arrival: 'uniform', runTag: `${ctx.runTag}w`, expectBackend: variant.name, checkOwnPost: true },
        { signal: ctx.signal },
      );
    }
    // Only the measured users' posts may be in the table when it is audited.
    await ctx.database.resetTable();

    const running = { app, nginx };
    const sampler = startSampler({
      server: () => [running.app.pid],
      nginx: () => running.nginx.pids(),
      database: () => ctx.database.pids(),
    });
    let load: LoadResult;
    let resources: Record<string, ResourceSummary>;
    try {
      ctx.log(`${variant.name}: ${o.users} users over ${o.rampSeconds} s`);
      load = await measuredLoad(variant, target, ctx);
    } finally {
      resources = sampler.stop();
    }
    const audit = await ctx.database.auditMarkers(load.posts.acceptedMarkers);
    const { accepted, indeterminate } = load.posts;
    return {
      ...load,
      integrity: {
        postsAccepted: accepted,
        postsIndeterminate: indeterminate,
        rows: audit.rows,
        missing: audit.missing,
        duplicated: audit.duplicated,
        // A timed-out POST may or may not have been written; beyond those, every row must be accounted for.
        ok: audit.missing === 0 && audit.duplicated === 0 && audit.rows >= accepted && audit.rows <= accepted + indeterminate,
      },
      server: resources['server']!,
      nginx: resources['nginx']!,
      database: ctx.database.kind === 'private' ? resources['database']! : null,
      setup: { startMs: Math.round(startMs), workers: variant.model === 'threaded' ? o.threads : variant.model === 'prefork' ? o.workers : 1, contractCheck: 'pass' },
    };
  } finally {
    await nginx?.stop();
    await app?.stop();
  }
}
