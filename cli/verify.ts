// `benchlab verify`: the conformance check, for variants it starts or for a running target.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import { verificationOf, type Verification } from '../common/finding.js';
import { optionError } from '../common/errors.js';
import { RUN_DEFAULTS } from '../common/defaults.js';
import type { RawRunOptions } from '../lab/run-options.js';
import { action } from './action.js';
import { withDefault } from './options.js';

export interface RawVerifyOptions extends RawRunOptions {
  target?: string;
  expectBackend?: string;
}

async function verifyVariants(raw: RawVerifyOptions, log: (line: string) => void): Promise<Verification[]> {
  const [{ openDatabase }, { runOptionsFrom }, { startVariantStack }, { stackOptionsOf }, { verifyStack }] = await Promise.all([
    import('../lab/run.js'),
    import('../lab/run-options.js'),
    import('../lab/stack/variant-stack.js'),
    import('../lab/variant-run.js'),
    import('../lab/verify.js'),
  ]);
  const options = runOptionsFrom({ ...raw, variants: raw.variants ?? 'design' });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-verify-'));
  const database = await openDatabase(options, log);
  const verifications: Verification[] = [];
  try {
    await database.ensureSchema();
    for (const variant of options.variants) {
      await database.resetTable();
      const stackOptions = stackOptionsOf(options, database, workDir);
      const stack = await startVariantStack(variant, stackOptions);
      try {
        log(`${variant.name}: verifying ${stack.target}`);
        verifications.push(await verifyStack(stack, database, stackOptions, randomBytes(3).toString('hex')));
      } finally {
        await stack.stop();
      }
    }
    return verifications;
  } finally {
    await database.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** `benchlab verify`: the conformance check, for variants it starts or for a running target. Exit 1 on any fail. */
export async function verifyCommand(raw: RawVerifyOptions): Promise<void> {
  if (raw.target && raw.variants) throw optionError('--target', 'cannot be combined with --variants');
  const log = (line: string) => {
    if (!raw.json) process.stderr.write(`${line}\n`);
  };
  const [{ abortOnSignals }, { runConformance }, { verificationTable }] = await Promise.all([
    import('../lab/interrupt.js'),
    import('../client/conformance/checks.js'),
    import('../report/verification-table.js'),
  ]);
  const interrupt = abortOnSignals();
  try {
    let verifications: Verification[];
    if (raw.target) {
      if (!/^https?:\/\/[^/]+\/?$/.test(raw.target)) throw optionError('--target', `must be a base URL like http://127.0.0.1:8080 (got "${raw.target}")`);
      const findings = await runConformance({
        target: raw.target,
        tag: randomBytes(3).toString('hex'),
        ...(raw.expectBackend ? { expectBackend: raw.expectBackend } : {}),
      });
      verifications = [verificationOf(raw.target, raw.expectBackend ?? raw.target, findings)];
    } else {
      verifications = await verifyVariants(raw, log);
    }
    const stopped = interrupt.interrupted();
    if (stopped) throw stopped;
    if (raw.json) process.stdout.write(`${JSON.stringify(verifications, null, 2)}\n`);
    else process.stdout.write(verificationTable(verifications, { color: process.stdout.isTTY === true }));
    if (verifications.some((v) => !v.passed)) process.exitCode = 1;
  } catch (error) {
    throw interrupt.interrupted() ?? error;
  } finally {
    interrupt.dispose();
  }
}

export function defineVerify(program: Command): Command {
  return program
    .command('verify')
    .description('check variants (or a running target) against every line of the scenario contract')
    .option('--variants <list>', withDefault('variants, sets or globs to start and check', RUN_DEFAULTS.variants))
    .option('--target <url>', 'check something already running at this base URL instead')
    .option('--expect-backend <name>', 'with --target: the X-Backend every answer must carry')
    .option('--manifest <file>', 'JSON file adding foreign variants')
    .option('--database <url>', withDefault('use this MySQL/MariaDB', '$DATABASE_URL, else a private server'))
    .option('--private-db', 'start a private mariadbd/mysqld even when $DATABASE_URL is set (the default otherwise)')
    .addOption(new Option('--app-socket <kind>', withDefault('how nginx reaches the app', 'tcp')).choices(['tcp', 'unix']))
    .option('--no-pin', 'do not pin to CPUs')
    .option('--json', 'print the findings as JSON')
    .action(action(verifyCommand));
}
