// What the profile and protocol-cost benches share: a variant started with the lab's own stack code
// (nginx in front, the run's database, server and client CPUs apart), warmed up, then measured at a
// fixed arrival rate with the lab's own measurement (pinned client processes, the sampler, the audit).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAccessLog, type AccessLogEntry } from '../lab/stack/nginx.js';
import { startVariantStack, type VariantStack } from '../lab/stack/variant-stack.js';
import { checkAndWarm, measureStack, stackOptionsOf, type VariantRunContext } from '../lab/variant-run.js';
import { startMeasuringClients } from '../lab/measuring-clients.js';
import { fileSize } from '../lab/stack/time-split.js';
import { PROFILE_DIR_ENV, PROFILE_INTERVAL_ENV, PROFILE_MODE_ENV, type ThreadCounts } from './profile-hook.js';
import type { VariantSpec } from '../apps/variants.js';
import type { VariantResult } from '../common/result.js';

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

/**
 * Starts a variant behind nginx. `env` is added to the app's environment only: it is set on this
 * process while the stack starts (the lab's variant command copies process.env) and put back at once,
 * so the measuring clients started later do not inherit it.
 */
export async function startStackWithEnv(variant: VariantSpec, ctx: VariantRunContext, env: Record<string, string> = {}): Promise<VariantStack> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return await startVariantStack(variant, stackOptionsOf(ctx.options, ctx.database, ctx.workDir));
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

export interface RateWindow {
  /** Users per second. */
  rate: number;
  seconds: number;
  label: string;
}

export interface WindowResult {
  result: VariantResult;
  /** nginx's access log lines of the window. */
  log: AccessLogEntry[];
  loadBefore: string;
  loadAfter: string;
}

/**
 * One measured window at a fixed rate, with its clients booted first; `around` runs just before the
 * clients start and just after they are done (the profile bench starts and stops its profilers there).
 */
export async function measureWindow(
  stack: VariantStack,
  window: RateWindow,
  ctx: VariantRunContext,
  around: { before?: () => Promise<void>; after?: () => Promise<void> } = {},
): Promise<WindowResult> {
  const load = { users: Math.max(1, Math.round(window.rate * window.seconds)), rampSeconds: window.seconds, label: window.label };
  const clients = await startMeasuringClients(stack, load, ctx);
  try {
    const loadBefore = loadAverage();
    await around.before?.();
    const offset = fileSize(stack.nginx.accessLog);
    let result: VariantResult;
    try {
      result = await measureStack(stack, load, ctx, clients);
    } finally {
      await around.after?.();
    }
    // nginx writes its access log line by line as requests end; the last ones are out once the clients are.
    const log = parseAccessLog(readFrom(stack.nginx.accessLog, offset));
    return { result, log, loadBefore, loadAfter: loadAverage() };
  } finally {
    await clients.stop();
  }
}

function readFrom(file: string, offset: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    fs.readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** The contract check and the lab's warm-up users, then `seconds` of the measured rate, uncounted. */
export async function warmAtRate(stack: VariantStack, ctx: VariantRunContext, rate: number, seconds: number): Promise<void> {
  await checkAndWarm(stack, ctx);
  if (seconds > 0) await measureWindow(stack, { rate, seconds, label: `${stack.variant.name}.warm` }, ctx);
}

/** Upstream connections nginx's log shows for the scenario's requests: `uct=-` is no upstream at all. */
export interface UpstreamConnects {
  requests: number;
  /** $upstream_connect_time above 0: a connection nginx had to open (on loopback most opens take under 1 ms and log 0.000). */
  connectAboveZero: number;
  /** $upstream_connect_time 0.000: a kept connection, or one opened within the millisecond. */
  connectZero: number;
  noUpstream: number;
}

export function upstreamConnects(entries: readonly AccessLogEntry[]): UpstreamConnects {
  const counts: UpstreamConnects = { requests: 0, connectAboveZero: 0, connectZero: 0, noUpstream: 0 };
  for (const entry of entries) {
    if (entry.path !== '/') continue;
    counts.requests += 1;
    if (entry.upstreamConnectMs === null) counts.noUpstream += 1;
    else if (entry.upstreamConnectMs > 0) counts.connectAboveZero += 1;
    else counts.connectZero += 1;
  }
  return counts;
}

/** Waits until `done()` holds, or gives up after timeoutMs. */
export async function until(done: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}

const HOOK = new URL('./profile-hook.js', import.meta.url).href;
// The hook polls for its start and stop files every 50 ms.
const HOOK_POLL_GRACE_MS = 200;

/** The app's environment for the hook (profile-hook.ts): profiles and counts, or counts alone. */
export function hookEnv(dir: string, mode: 'cpu' | 'count', intervalUs = 500): Record<string, string> {
  const existing = process.env['NODE_OPTIONS'];
  return {
    NODE_OPTIONS: `${existing ? `${existing} ` : ''}--import=${HOOK}`,
    [PROFILE_DIR_ENV]: dir,
    [PROFILE_MODE_ENV]: mode,
    [PROFILE_INTERVAL_ENV]: String(intervalUs),
  };
}

/** The `around` of measureWindow that starts the hook in every process and thread, and stops it. */
export function hookWindow(dir: string): { before: () => Promise<void>; after: () => Promise<void> } {
  return {
    before: async () => {
      fs.writeFileSync(path.join(dir, 'start'), '');
      await sleep(HOOK_POLL_GRACE_MS);
    },
    after: async () => {
      fs.writeFileSync(path.join(dir, 'stop'), '');
    },
  };
}

/** Processes and threads the hook reports from: a prefork primary and its workers, a threaded main thread and (when profiling) its pool. */
export function hookReporters(stack: VariantStack, mode: 'cpu' | 'count'): number {
  if (stack.variant.model === 'single' || (stack.variant.model === 'threaded' && mode === 'count')) return 1;
  return stack.workers + 1;
}

/** Waits for every reporter's counts (up to 15 s) and reads them. */
export async function hookCounts(dir: string, expected: number, log: (line: string) => void): Promise<ThreadCounts[]> {
  const written = () => fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  if (!(await until(() => written().length >= expected, 15_000))) log(`only ${written().length} of ${expected} processes and threads reported`);
  return written().map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as ThreadCounts);
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return path.resolve(dir);
}

/** An empty folder: a start or stop file left from an earlier run would start the hook at once. */
export function emptyDir(dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  return ensureDir(dir);
}
