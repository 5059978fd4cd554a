import cluster from 'node:cluster';

// A process the lab starts stops when the lab is gone, even after a SIGKILL that gave the lab no
// chance to stop it: an orphaned client or app server would go on writing into the table that the
// next run audits.

export const PARENT_PID_ENV = 'BENCHLAB_PARENT_PID';
const CHECK_INTERVAL_MS = 500;

/** Sends this process SIGTERM, its own graceful stop, once the lab that started it has died. */
export function stopWithParent(env: NodeJS.ProcessEnv = process.env): void {
  const parent = Number(env[PARENT_PID_ENV]);
  // Cluster workers inherit the variable but follow their primary instead.
  if (!Number.isInteger(parent) || parent <= 1 || cluster.isWorker) return;
  const timer = setInterval(() => {
    // An orphan is adopted by init or a subreaper, so its parent pid changes.
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, CHECK_INTERVAL_MS);
  timer.unref();
}

/** The environment for a process the lab starts, so it stops with the lab. */
export function childOfThisLab(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, [PARENT_PID_ENV]: String(process.pid) };
}
