// What every bench shares: the CPU split, its options, a line naming the machine, and a main that
// stops every process on the way out (also on Ctrl-C) and reports a failure in one line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LabError } from '../common/errors.js';
import { abortOnSignals } from '../lab/interrupt.js';
import { oneOf, parseInteger } from '../common/option-parsers.js';
import { stopAll } from '../lab/stack/service.js';

export interface CpuSplit {
  /** taskset lists; undefined on a single core, where nothing is pinned. */
  server: string | undefined;
  client: string | undefined;
}

/** The lab's default split: the last CPU for the load tool, the first for nginx and the servers. */
export function benchCpus(): CpuSplit {
  const cores = os.availableParallelism();
  if (cores < 2) return { server: undefined, client: undefined };
  return { server: '0', client: String(cores - 1) };
}

/** "2 × Intel(R) Xeon(R) Processor, Linux 6.1.0 x64, Node v20.20.2". */
export function machineLine(): string {
  const model =
    fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .match(/^model name\s*:\s*(.*)$/m)?.[1]
      ?.trim() ??
    os.cpus()[0]?.model ??
    'unknown CPU';
  return `${os.availableParallelism()} × ${model}, ${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}`;
}

/** Whole-number options, each with a default: `--name N`; and `--only NAME` when `only` lists the names it takes. */
export function integerOptions<K extends string, O extends string = never>(
  defaults: Record<K, number>,
  only: readonly O[] = [],
): Record<K, number> & { only?: O } {
  const options: Record<string, { type: 'string' }> = Object.fromEntries(Object.keys(defaults).map((name) => [name, { type: 'string' as const }]));
  if (only.length > 0) options['only'] = { type: 'string' };
  try {
    return parseOptions(defaults, only, parseArgs({ options, strict: true }).values);
  } catch (error) {
    // Read before any bench starts: a bad option is one line and exit code 2, never a stack trace.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof LabError ? error.exitCode : 2);
  }
}

function parseOptions<K extends string, O extends string>(defaults: Record<K, number>, only: readonly O[], values: object): Record<K, number> & { only?: O } {
  const parsed: Record<K, number> & { only?: O } = { ...defaults };
  for (const name of Object.keys(defaults) as K[]) {
    const text = (values as Record<string, string | undefined>)[name];
    if (text !== undefined) parsed[name] = parseInteger(`--${name}`, text, 1) as (Record<K, number> & { only?: O })[K];
  }
  const chosen = (values as Record<string, string | undefined>)['only'];
  if (chosen !== undefined) parsed.only = oneOf('--only', chosen, only);
  return parsed;
}

export function tempWorkDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `benchlab-bench-${name}-`));
}

/** Runs a bench: every process it started is stopped and its work dir removed, whatever happens. */
export function runBench(name: string, body: (workDir: string, signal: AbortSignal) => Promise<void>): void {
  const interrupt = abortOnSignals();
  const workDir = tempWorkDir(name);
  body(workDir, interrupt.signal)
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`bench ${name}: ${message}\n`);
      process.exitCode = error instanceof LabError ? error.exitCode : 1;
    })
    .finally(async () => {
      await stopAll();
      fs.rmSync(workDir, { recursive: true, force: true });
      interrupt.dispose();
      const stopped = interrupt.interrupted();
      if (stopped !== undefined) process.exitCode = stopped.exitCode;
    });
}

export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

/** A plain aligned table: the first column left, the rest right. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
