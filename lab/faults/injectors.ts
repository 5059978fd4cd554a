import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../common/errors.js';
import { selfAndChildren } from '../stack/sampler.js';
import type { Database } from '../stack/database.js';
import type { Fault, FaultInjector } from './kinds.js';
import type { VariantStack } from '../stack/variant-stack.js';

// How each fault is done to a running variant. The models are expected to heal on their own: the
// lab only waits, boundedly, to say in the record whether they did.

const REPLACE_WAIT_MS = 10_000;
const POLL_MS = 50;

const childrenOf = (pid: number) => selfAndChildren(pid).filter((p) => p !== pid);

/** Polls until `check` gives a value, for at most waitMs; undefined when it never did. */
async function waitForValue<T>(check: () => T | undefined, waitMs: number): Promise<T | undefined> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const value = check();
    if (value !== undefined || performance.now() > deadline) return value;
    await sleep(POLL_MS);
  }
}

function elapsedMs(since: number): number {
  return Math.round(performance.now() - since);
}

const HEALTHZ_TIMEOUT_MS = 2_000;

/** The X-Worker values (pid:thread) of a burst of concurrent /healthz answers: which threads answer now. */
export async function workersAnswering(target: string, requests: number): Promise<Set<string>> {
  const url = new URL('/healthz', target).href;
  const answers = await Promise.allSettled(
    Array.from({ length: requests }, () => fetch(url, { signal: AbortSignal.timeout(HEALTHZ_TIMEOUT_MS) }).then((res) => res.headers.get('x-worker'))),
  );
  return new Set(answers.flatMap((a) => (a.status === 'fulfilled' && a.value !== null ? [a.value] : [])));
}

const threadIdOf = (worker: string) => Number(worker.split(':')[1]);

/**
 * A thread that answers now and was not there before: Node numbers threads in the order they start,
 * so one numbered above every thread seen before the fault started after it.
 */
export async function newThreadAnswering(target: string, before: ReadonlySet<string>, requests: number, waitMs: number): Promise<string | undefined> {
  const highest = Math.max(0, ...[...before].map(threadIdOf).filter(Number.isFinite));
  const deadline = performance.now() + waitMs;
  while (performance.now() < deadline) {
    const now = await workersAnswering(target, requests);
    const fresh = [...now].find((w) => !before.has(w) && threadIdOf(w) > highest);
    if (fresh !== undefined) return fresh;
    await sleep(POLL_MS);
  }
  return undefined;
}

/** SIGUSR2 to a threaded server ends one pool thread (apps/models/threaded.ts); the record says whether a new one answered. */
async function killThread(stack: VariantStack): Promise<string> {
  const primary = stack.app.pid;
  // Enough requests at once that every thread of the pool gets one.
  const burst = Math.max(4, stack.workers * 4);
  const before = await workersAnswering(stack.target, burst);
  const sentAt = performance.now();
  process.kill(primary, 'SIGUSR2');
  const fresh = await newThreadAnswering(stack.target, before, burst, REPLACE_WAIT_MS);
  if (fresh === undefined) return `SIGUSR2 to ${primary}: one pool thread ended; no new thread seen answering within ${REPLACE_WAIT_MS} ms (not observed)`;
  return `SIGUSR2 to ${primary}: one pool thread ended; new thread ${fresh} answering after ${elapsedMs(sentAt)} ms`;
}

/** SIGKILL to one prefork worker, or SIGUSR2 to a threaded server, which ends one pool thread. */
async function killWorker(stack: VariantStack): Promise<string> {
  const primary = stack.app.pid;
  if (stack.variant.model === 'threaded') return killThread(stack);
  const before = childrenOf(primary);
  const victim = before[0];
  if (victim === undefined) throw new LabError('BL_ERR_START', `${stack.variant.name} (pid ${primary}) has no worker process to kill`);
  const killedAt = performance.now();
  process.kill(victim, 'SIGKILL');
  const replacement = await waitForValue(() => {
    const now = childrenOf(primary);
    const fresh = now.filter((p) => !before.includes(p));
    return now.length >= before.length && !now.includes(victim) ? fresh[0] : undefined;
  }, REPLACE_WAIT_MS);
  if (replacement === undefined) return `SIGKILL to worker ${victim}; not replaced within ${REPLACE_WAIT_MS} ms`;
  return `SIGKILL to worker ${victim}; replaced by worker ${replacement} after ${elapsedMs(killedAt)} ms`;
}

async function restartDatabase(database: Database): Promise<string> {
  if (!database.restart) throw new LabError('BL_ERR_DATABASE', 'restart-db needs a private database (--private-db)');
  const started = performance.now();
  const { oldPid, newPid } = await database.restart();
  return `database server ${oldPid} stopped, ${newPid} started on the same datadir and port, answering after ${elapsedMs(started)} ms`;
}

/** SIGHUP to nginx's master: it rereads its config and replaces its workers gracefully. */
async function reloadNginx(stack: VariantStack): Promise<string> {
  const master = stack.nginx.process.pid;
  const before = childrenOf(master);
  const sentAt = performance.now();
  process.kill(master, 'SIGHUP');
  const fresh = await waitForValue(() => {
    const added = childrenOf(master).filter((p) => !before.includes(p));
    return added.length > 0 ? added : undefined;
  }, REPLACE_WAIT_MS);
  if (fresh === undefined) return `SIGHUP to nginx master ${master}; no new worker within ${REPLACE_WAIT_MS} ms`;
  return `SIGHUP to nginx master ${master}; new worker ${fresh.join(', ')} after ${elapsedMs(sentAt)} ms`;
}

async function stopApp(stack: VariantStack): Promise<string> {
  const r = await stack.restartApp();
  return `SIGTERM to ${r.oldPid}, which exited after ${r.stoppedMs} ms; started again as ${r.newPid}, answering through nginx after ${r.startedMs} ms`;
}

export function faultInjector(stack: VariantStack, database: Database): FaultInjector {
  return (fault: Fault) => {
    switch (fault.kind) {
      case 'kill-worker':
        return killWorker(stack);
      case 'restart-db':
        return restartDatabase(database);
      case 'reload-nginx':
        return reloadNginx(stack);
      case 'stop-app':
        return stopApp(stack);
    }
  };
}
