// Temp folders that a lab removes when it stops, and that a later lab removes when one was killed
// (SIGKILL leaves nothing running to clean up): each records its owner, pid and start time, so a pid
// reused by another process never passes for the owner.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseProcStat } from './sampler.js';

const OWNER_FILE = 'benchlab-owner';

function startTicksOf(pid: number): number | undefined {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).startTimeTicks;
  } catch {
    return undefined;
  }
}

/** A fresh temp folder `<prefix>XXXXXX` owned by this process. */
export function ownedTempDir(prefix: string, parent = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  fs.writeFileSync(path.join(dir, OWNER_FILE), `${process.pid} ${startTicksOf(process.pid) ?? 0}\n`);
  return dir;
}

/** Removes the `<prefix>*` folders whose owner has gone; folders without an owner record are left alone. Returns those removed. */
export function removeOrphanedDirs(prefix: string, parent = os.tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(parent, name);
    let owner: string;
    try {
      owner = fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8');
    } catch {
      continue;
    }
    const [pid, ticks] = owner.trim().split(' ').map(Number);
    if (pid === undefined || ticks === undefined || !Number.isInteger(pid) || pid <= 0) continue;
    if (startTicksOf(pid) === ticks) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
