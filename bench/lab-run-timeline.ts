// Runs `benchlab run` as a user would and notes when each of its log lines appeared, so the lab's
// own set-up can be timed from the outside without reimplementing any of it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { cliPath } from '../lab/paths.js';
import type { LoadResult } from '../common/result.js';

export interface TimedLine {
  /** Date.now() when the line arrived. */
  atMs: number;
  text: string;
}

export interface LabRunTimeline {
  code: number | null;
  startedAtMs: number;
  wallSeconds: number;
  lines: TimedLine[];
}

const STOP_GRACE_MS = 20_000;

/**
 * `benchlab run ARGS` in its own process group; every stderr line timestamped and echoed with
 * `echoPrefix`. `onTick` runs every 100 ms while it runs (e.g. to watch its children).
 */
export async function timedLabRun(args: string[], echoPrefix: string, onTick?: (labPid: number) => void): Promise<LabRunTimeline> {
  const startedAtMs = Date.now();
  const child = spawn(process.execPath, [cliPath, 'run', ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: TimedLine[] = [];
  createInterface({ input: child.stderr }).on('line', (text) => {
    lines.push({ atMs: Date.now(), text });
    process.stdout.write(`${echoPrefix}${text}\n`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const ticker = onTick === undefined || child.pid === undefined ? undefined : setInterval(() => onTick(child.pid!), 100);
  let done = false;
  try {
    const code = await exited;
    done = true;
    return { code, startedAtMs, wallSeconds: (Date.now() - startedAtMs) / 1000, lines };
  } finally {
    clearInterval(ticker);
    if (!done && child.pid !== undefined) {
      // The lab stops its own services on SIGTERM.
      signalGroup(child.pid, 'SIGTERM');
      const killer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export interface VariantSetup {
  variant: string;
  /** App and nginx started until /healthz answered through nginx (the lab's own startMs). */
  startSeconds: number;
  /** From then until the measurement began: verification, the clients' boot, contract check, warm-up. */
  checksSeconds: number;
  /** From the measurement's log line until its first measured user: table reset, sampling, the clients' start gate. */
  firstUserSeconds: number;
  /** From the variant's start until its first measured user. */
  totalSeconds: number;
  /** The measured window itself. */
  measuredSeconds: number;
}

const UP_LINE = /^(\S+): up in (\d+) ms behind/;
const MEASURE_LINE = /^(\S+): (\d+) users over/;

/** Each variant's set-up, from the log lines and the first arrival recorded in its result file. */
export function variantSetups(timeline: LabRunTimeline, outDir: string): VariantSetup[] {
  const setups: VariantSetup[] = [];
  for (const [index, line] of timeline.lines.entries()) {
    const up = UP_LINE.exec(line.text);
    if (up === null) continue;
    const variant = up[1]!;
    const startMs = Number(up[2]);
    const measure = timeline.lines.slice(index + 1).find((later) => MEASURE_LINE.exec(later.text)?.[1] === variant);
    const resultFile = path.join(outDir, `${variant}.json`);
    if (measure === undefined || !fs.existsSync(resultFile)) continue;
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as LoadResult;
    const firstArrivalMs = Date.parse(result.startedAt);
    const variantStartMs = line.atMs - startMs;
    setups.push({
      variant,
      startSeconds: startMs / 1000,
      checksSeconds: (measure.atMs - line.atMs) / 1000,
      firstUserSeconds: (firstArrivalMs - measure.atMs) / 1000,
      totalSeconds: (firstArrivalMs - variantStartMs) / 1000,
      measuredSeconds: result.durationSeconds,
    });
  }
  return setups;
}
