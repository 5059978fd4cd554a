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

/** SIGKILL to one prefork worker, or SIGUSR2 to a threaded server, which ends one pool thread (apps/models/threaded.ts). */
async function killWorker(stack: VariantStack): Promise<string> {
  const primary = stack.app.pid;
  if (stack.variant.model === 'threaded') {
    process.kill(primary, 'SIGUSR2');
    return `SIGUSR2 to ${primary}: one pool thread ended, the pool starts another`;
  }
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
