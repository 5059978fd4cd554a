// A start gate lets measuring clients boot while the variant warms up: each says it is ready, and all
// start when the lab opens the gate by writing their common start time into it. Node's start-up then
// no longer sits between the warm-up and the measurement, and several client processes start together
// as soon as the last one is ready instead of after a fixed boot allowance.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../common/errors.js';

/** The gate file a client waits for. */
export const START_GATE_ENV = 'BENCHLAB_START_GATE';
/** The file a client creates once it is ready to start. */
export const READY_FILE_ENV = 'BENCHLAB_READY_FILE';

const POLL_MS = 2;
/** Between opening the gate and the start, so that several clients see it in time. */
const COMMON_START_AHEAD_MS = 20;

/** The client's side: says it is ready, then waits for the gate; resolves to the start time (epoch ms). */
export async function passStartGate(gate: string, readyFile: string, signal: AbortSignal): Promise<number> {
  fs.writeFileSync(readyFile, `${process.pid}\n`);
  for (;;) {
    const text = readIfThere(gate);
    if (text !== undefined) {
      const startMs = Number(text.trim());
      if (!Number.isFinite(startMs)) throw new LabError('BL_ERR_START', `the start gate ${gate} holds no start time ("${text.trim()}")`);
      return startMs;
    }
    await pause(signal);
  }
}

export interface GatedClient {
  readyFile: string;
  hasExited(): boolean;
}

/**
 * The lab's side: once every client is ready (or has exited, which its exit status reports), writes the
 * common start time into the gate. Resolves to that time.
 */
export async function openStartGate(
  gate: string,
  clients: GatedClient[],
  signal: AbortSignal,
  timeoutMs: number,
  beforeOpen?: () => void | Promise<void>,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!clients.every((c) => c.hasExited() || fs.existsSync(c.readyFile))) {
    if (Date.now() > deadline) throw new LabError('BL_ERR_START', `the measuring client was not ready within ${timeoutMs / 1000} s`);
    await pause(signal);
  }
  await beforeOpen?.();
  const startMs = Date.now() + (clients.length > 1 ? COMMON_START_AHEAD_MS : 0);
  // Written whole under another name first: a client never reads half a time.
  fs.writeFileSync(`${gate}.tmp`, `${startMs}\n`);
  fs.renameSync(`${gate}.tmp`, gate);
  return startMs;
}

/** One poll interval; an abort ends it with the signal's reason. */
async function pause(signal: AbortSignal): Promise<void> {
  try {
    await sleep(POLL_MS, undefined, { signal });
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }
}

function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
