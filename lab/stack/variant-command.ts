import path from 'node:path';
import { LabError } from '../../common/errors.js';
import { findExecutable } from './executables.js';
import { cliPath, packageRoot } from '../paths.js';
import type { VariantSpec } from '../../apps/variants.js';
import type { ServeOptions } from '../../apps/serve-options.js';
import { formatListen } from '../../apps/listen.js';

/** What `benchlab serve` takes, but the variant: the same settings start a foreign server too. */
export type VariantProcessSettings = Omit<ServeOptions, 'variant'>;

export interface VariantCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Whether a variant can run here; foreign ones need their server installed. */
export function variantAvailable(variant: VariantSpec): { ok: true } | { ok: false; why: string } {
  const needs = variant.command?.requires;
  if (!needs || findExecutable(needs.program)) return { ok: true };
  return { ok: false, why: `${variant.name} needs ${needs.program}: ${needs.install}` };
}

/**
 * The command that starts a variant: `benchlab serve` for the project's servers, the manifest's
 * argv for a foreign one. The database URL travels in the environment, never on a command line
 * that `ps` would show with its password.
 */
export function variantCommand(variant: VariantSpec, s: VariantProcessSettings): VariantCommand {
  const env = { ...process.env, DATABASE_URL: s.databaseUrl, BENCHLAB_BACKEND: variant.name };
  if (!variant.command) {
    return {
      command: process.execPath,
      args: [
        cliPath,
        'serve',
        '--variant',
        variant.name,
        '--listen',
        formatListen(s.listen),
        '--workers',
        String(s.workers),
        '--threads',
        String(s.threads),
        '--thread-tasks',
        String(s.threadTasks),
        '--db-pool',
        String(s.dbPool),
        '--backlog',
        String(s.backlog),
      ],
      env,
    };
  }
  const available = variantAvailable(variant);
  if (!available.ok) throw new LabError('BL_ERR_MISSING_TOOL', available.why);
  const values: Record<string, string> = {
    host: 'path' in s.listen ? '' : s.listen.host,
    port: 'path' in s.listen ? '' : String(s.listen.port),
    socket: 'path' in s.listen ? s.listen.path : '',
    listen: 'path' in s.listen ? `unix:${s.listen.path}` : formatListen(s.listen),
    workers: String(s.workers),
    threads: String(s.threads),
    variant: variant.name,
  };
  const [program, ...rest] = variant.command.argv.map((arg) => arg.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? `{${key}}`));
  return {
    command: findExecutable(program!) ?? program!,
    args: rest,
    env: { ...env, ...variant.command.env },
    ...(variant.command.cwd ? { cwd: path.resolve(packageRoot, variant.command.cwd) } : {}),
  };
}
