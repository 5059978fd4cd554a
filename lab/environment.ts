import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { packageRoot } from './paths.js';
import type { RunEnvironment } from '../report/run-info.js';

const execFileAsync = promisify(execFile);

async function gitCommit(): Promise<string | null> {
  try {
    const { stdout } = await execFileAsync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot });
    const dirty = await execFileAsync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: packageRoot });
    return stdout.trim() + (dirty.stdout.trim() ? '+dirty' : '');
  } catch {
    return null;
  }
}

/** What run.json records about the machine, so a result can be read (and doubted) later. */
export async function runEnvironment(
  versions: { nginx: string; database: string },
  pins: { serverCpus?: string | undefined; clientCpus?: string | undefined },
): Promise<RunEnvironment> {
  return {
    node: process.version,
    nginx: versions.nginx,
    database: versions.database,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    gitCommit: await gitCommit(),
    serverCpus: pins.serverCpus ?? null,
    clientCpus: pins.clientCpus ?? null,
    pinned: pins.serverCpus !== undefined,
  };
}
