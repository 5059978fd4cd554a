import { spawn } from 'node:child_process';
import path from 'node:path';
import { LabError } from '../../common/errors.js';
import { findExecutable } from './executables.js';
import { packageRoot } from '../paths.js';

/** Missing system parts are installed only where that is possible without asking: root with apt-get. */
export function canInstallSystemPackages(): boolean {
  return process.getuid?.() === 0 && findExecutable('apt-get') !== undefined;
}

function runSetupScript(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(packageRoot, 'scripts', 'setup.sh')], { stdio: ['ignore', process.stderr, process.stderr] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new LabError('BL_ERR_MISSING_TOOL', `scripts/setup.sh failed (code ${code})`))));
  });
}

/**
 * Runs `find`; when it reports a missing tool and this machine allows it, installs the lab's
 * system packages with scripts/setup.sh and tries once more. Otherwise its one-line message stands.
 */
export async function withInstalledTool<T>(find: () => T | Promise<T>, log: (line: string) => void, explicit = false): Promise<T> {
  try {
    return await find();
  } catch (error) {
    if (!(error instanceof LabError) || error.code !== 'BL_ERR_MISSING_TOOL' || explicit || !canInstallSystemPackages()) throw error;
    log(`${error.message.split(':')[0]}: installing the lab's system packages with scripts/setup.sh`);
    await runSetupScript();
    return find();
  }
}
