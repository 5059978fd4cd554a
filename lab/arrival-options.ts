import { optionError } from '../common/errors.js';
import { CLOSED_DEFAULTS } from '../common/defaults.js';
import { oneOf, parseInteger, parseSeconds } from '../common/option-parsers.js';

// How users arrive, as `run` and `load` both take it: checked once, the same way, with the same words.

export interface RawArrivalOptions {
  users?: string | undefined;
  ramp?: string | undefined;
  stages?: string | undefined;
  maxActive?: string | undefined;
  shard?: string | undefined;
  mode?: string | undefined;
  connections?: string | undefined;
  duration?: string | undefined;
}

export interface ClosedModel {
  connections: number;
  durationSeconds: number;
}

/** --stages replaces --users and --ramp. */
export function assertStagesAlone(raw: RawArrivalOptions): void {
  if (raw.stages !== undefined && (raw.users !== undefined || raw.ramp !== undefined)) {
    throw optionError('--stages', 'sets the arrivals itself: leave out --users and --ramp');
  }
}

/**
 * The chosen --mode; for a closed one (closed, or load's peak), --connections users kept busy for
 * --duration, where the open model's arrival options do not apply.
 */
export function arrivalModel<M extends string>(raw: RawArrivalOptions, closedModes: readonly M[]): { mode: 'open' | M; closed: ClosedModel | undefined } {
  assertStagesAlone(raw);
  const mode = raw.mode === undefined ? 'open' : oneOf('--mode', raw.mode, ['open', ...closedModes] as const);
  if (mode === 'open') {
    if (raw.connections !== undefined || raw.duration !== undefined) {
      throw optionError(raw.connections !== undefined ? '--connections' : '--duration', `applies to --mode ${closedModes.join(' or ')}`);
    }
    return { mode, closed: undefined };
  }
  for (const [flag, value] of [
    ['--users', raw.users],
    ['--ramp', raw.ramp],
    ['--stages', raw.stages],
    ['--max-active', raw.maxActive],
    ['--shard', raw.shard],
  ] as const) {
    if (value !== undefined) throw optionError(flag, `does not apply to --mode ${mode}, which keeps --connections users busy for --duration`);
  }
  return {
    mode,
    closed: {
      connections: raw.connections !== undefined ? parseInteger('--connections', raw.connections, 1, 100_000) : CLOSED_DEFAULTS.connections,
      durationSeconds: raw.duration !== undefined ? parseSeconds('--duration', raw.duration, 0.1, 3600) : CLOSED_DEFAULTS.durationSeconds,
    },
  };
}
