import fs from 'node:fs';
import { parseProcStat } from '../../lab/stack/sampler.js';

/** Whether a process runs: a killed orphan stays a zombie until init reaps it, which can take a second. */
export function isRunning(pid: number | string): boolean {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).state !== 'Z';
  } catch {
    return false;
  }
}
