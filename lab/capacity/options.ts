// Options of `benchlab capacity`: the ones it shares with `run` go through runOptionsFrom, the rest are checked here.
import os from 'node:os';
import { CAPACITY_DEFAULTS, RUN_DEFAULTS } from '../../common/defaults.js';
import { optionError } from '../../common/errors.js';
import { parseInteger, parseSeconds } from '../../common/option-parsers.js';
import { nginxLimitsOf, runOptionsFrom, type RawRunOptions, type RunOptions } from '../run-options.js';
import { parseSlo, slowestLatencyMs, sloText, type Objective } from '../../common/slo.js';
import type { RateSearch } from './search.js';

export type RawCapacityOptions = Pick<
  RawRunOptions,
  | 'variants'
  | 'manifest'
  | 'timeout'
  | 'warmupUsers'
  | 'database'
  | 'privateDb'
  | 'workers'
  | 'threads'
  | 'threadTasks'
  | 'dbPool'
  | 'backlog'
  | 'appSocket'
  | 'upstreamKeepalive'
  | 'nginxWorkers'
  | 'nginxConnections'
  | 'nginxBacklog'
  | 'serverCpus'
  | 'clientCpus'
  | 'pin'
  | 'out'
  | 'label'
  | 'results'
  | 'json'
  | 'quiet'
> & {
  slo?: string;
  startRate?: string;
  maxRate?: string;
  stepSeconds?: string;
  steps?: string;
  confirm?: string;
};

export interface CapacityOptions {
  /** The shared options; users and ramp are set per step. */
  run: RunOptions;
  slo: Objective[];
  search: RateSearch;
  stepSeconds: number;
}

const MAX_RATE = 100_000;

/** A timed-out request already breaks a latency objective; a short timeout keeps an overloaded step from draining for long. */
export function capacityTimeoutMs(slo: readonly Objective[]): number {
  const slowest = slowestLatencyMs(slo);
  if (slowest === undefined) return RUN_DEFAULTS.timeoutMs;
  return Math.round(Math.min(RUN_DEFAULTS.timeoutMs, Math.max(CAPACITY_DEFAULTS.minTimeoutMs, slowest * CAPACITY_DEFAULTS.timeoutFactor)));
}

export function capacityOptionsFrom(raw: RawCapacityOptions, env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): CapacityOptions {
  const slo = parseSlo(raw.slo ?? CAPACITY_DEFAULTS.slo);
  const startRate = raw.startRate !== undefined ? parseInteger('--start-rate', raw.startRate, 1, MAX_RATE) : CAPACITY_DEFAULTS.startRate;
  const maxRate = raw.maxRate !== undefined ? parseInteger('--max-rate', raw.maxRate, 1, MAX_RATE) : Math.max(CAPACITY_DEFAULTS.maxRate, startRate);
  if (maxRate < startRate) throw optionError('--max-rate', `must be at least --start-rate (got ${maxRate} below ${startRate})`);
  const stepSeconds = raw.stepSeconds !== undefined ? parseSeconds('--step-seconds', raw.stepSeconds, 0.5, 600) : CAPACITY_DEFAULTS.stepSeconds;
  const maxSteps = raw.steps !== undefined ? parseInteger('--steps', raw.steps, 1, 100) : CAPACITY_DEFAULTS.maxSteps;
  const confirmations = raw.confirm !== undefined ? parseInteger('--confirm', raw.confirm, 0, 10) : CAPACITY_DEFAULTS.confirmations;
  // A step needs at least one user.
  const minRate = Math.ceil(1 / stepSeconds);
  if (startRate < minRate) throw optionError('--start-rate', `must give at least one user per step: ${startRate}/s × ${stepSeconds} s is below 1`);
  const run = runOptionsFrom({ ...raw, slo: sloText(slo), timeout: raw.timeout ?? String(capacityTimeoutMs(slo)) }, env, cores);
  return {
    run: {
      ...run,
      // Sized for the highest rate the search may try, so no step meets nginx's limits first.
      nginxLimits: nginxLimitsOf(raw, Math.max(run.warmupUsers, Math.ceil(maxRate * stepSeconds))),
      label: raw.label ?? `capacity-${run.label}`.slice(0, 80),
      users: Math.round(startRate * stepSeconds),
      rampSeconds: stepSeconds,
    },
    slo,
    search: { startRate, maxRate, maxSteps, precision: CAPACITY_DEFAULTS.precision, confirmations, minRate },
    stepSeconds,
  };
}

/** The search settings as they go into capacity.json and run.json. */
export function capacitySettings(o: CapacityOptions): {
  slo: string;
  startRate: number;
  maxRate: number;
  stepSeconds: number;
  maxSteps: number;
  confirmations: number;
} {
  return {
    slo: sloText(o.slo),
    startRate: o.search.startRate,
    maxRate: o.search.maxRate,
    stepSeconds: o.stepSeconds,
    maxSteps: o.search.maxSteps,
    confirmations: o.search.confirmations,
  };
}
