// The status line a run draws on a terminal, one phase of one variant at a time; pure formatting only.
import type { LoadProgress } from '../../client/progress.js';
import { paint, type Style } from '../../report/ansi.js';

export type Phase = 'starting' | 'verifying' | 'warming' | 'measuring' | 'auditing';

export const PHASES: readonly Phase[] = ['starting', 'verifying', 'warming', 'measuring', 'auditing'];

/** What the lab says when a variant enters a phase. */
export interface PhaseEvent {
  variant: string;
  phase: Phase;
  /** E.g. "400 users/s" for a capacity step. */
  detail?: string;
  /** How long the phase should take (the measured ramp), for the bar. */
  expectedSeconds?: number;
}

/** A phase event placed in the run: variant `index` (1-based) of `total`. */
export interface PlacedPhaseEvent extends PhaseEvent {
  index: number;
  total: number;
}

export interface PhaseState extends PlacedPhaseEvent {
  elapsedMs: number;
  /** The measuring client's latest counts. */
  load?: LoadProgress;
  /** Users finishing per second lately. */
  usersPerSecond?: number;
}

export interface LineOptions {
  color: boolean;
  /** Terminal width: the line is cut to fit, so redrawing it never wraps. */
  columns?: number;
}

export const BAR_WIDTH = 24;
const BAR_FULL = '█';
const BAR_EMPTY = '░';

interface Part {
  text: string;
  style?: Style;
}

/** `width` cells, filled in proportion to `fraction` (clamped to 0..1). */
export function progressBar(fraction: number, width = BAR_WIDTH): string {
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(clamped * width);
  return BAR_FULL.repeat(filled) + BAR_EMPTY.repeat(width - filled);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Cuts parts to `columns` - 1 characters of plain text, then paints them. */
function render(parts: readonly Part[], options: LineOptions): string {
  const limit = options.columns !== undefined && options.columns > 1 ? options.columns - 1 : Infinity;
  let used = 0;
  let line = '';
  for (const part of parts) {
    if (used >= limit) break;
    const text = part.text.slice(0, limit - used);
    used += text.length;
    line += part.style === undefined ? text : paint(text, part.style, options.color);
  }
  return line;
}

function measuringParts(state: PhaseState): Part[] {
  const expected = state.expectedSeconds;
  const elapsed = state.load?.elapsedSeconds;
  if (expected === undefined || expected <= 0) return [{ text: `  ${seconds(state.elapsedMs)}` }];
  if (elapsed === undefined) return [{ text: `  ${progressBar(0)}`, style: 'dim' }, { text: `  0.0/${expected} s  starting the client` }];
  const time = elapsed <= expected ? `${elapsed.toFixed(1)}/${expected} s` : `${expected} s + ${(elapsed - expected).toFixed(1)} s draining`;
  const load = state.load!;
  const rate = state.usersPerSecond ?? 0;
  return [
    { text: `  ${progressBar(elapsed / expected)}`, style: 'green' },
    { text: `  ${time}  ${rate.toFixed(1)} users/s  ` },
    { text: `${load.failed} errors`, ...(load.failed > 0 ? { style: 'red' as const } : {}) },
    { text: `  ${load.inFlight} in flight` },
  ];
}

/** "[1/3] prefork  measuring  ████░░░░  2.1/5 s  398.0 users/s  0 errors  12 in flight" */
export function phaseLine(state: PhaseState, options: LineOptions): string {
  const parts: Part[] = [
    { text: `[${state.index}/${state.total}] ` },
    { text: state.variant, style: 'bold' },
    { text: `  ${state.phase.padEnd(9)}` },
    ...(state.detail !== undefined ? [{ text: `  ${state.detail}` }] : []),
    ...(state.phase === 'measuring' ? measuringParts(state) : [{ text: `  ${seconds(state.elapsedMs)}` }]),
  ];
  return render(parts, options);
}

/** The line a variant leaves behind once done: its time in each phase (a phase entered several times adds up). */
export function variantDoneLine(variant: string, index: number, total: number, phaseMs: ReadonlyMap<Phase, number>, options: LineOptions): string {
  const times = PHASES.filter((p) => phaseMs.has(p)).map((p) => `${p} ${seconds(phaseMs.get(p)!)}`);
  const all = [...phaseMs.values()].reduce((a, b) => a + b, 0);
  return render(
    [{ text: '✓', style: 'green' }, { text: ` [${index}/${total}] ` }, { text: variant, style: 'bold' }, { text: `  ${seconds(all)}: ${times.join(', ')}` }],
    options,
  );
}

export interface FinishedSample {
  elapsedSeconds: number;
  finished: number;
}

/** Users finished per second over the samples of the last `windowSeconds` (they are in time order). */
export function recentUsersPerSecond(samples: readonly FinishedSample[], windowSeconds = 2): number {
  const last = samples[samples.length - 1];
  if (last === undefined) return 0;
  const first = samples.find((s) => s.elapsedSeconds >= last.elapsedSeconds - windowSeconds) ?? last;
  const span = last.elapsedSeconds - first.elapsedSeconds;
  if (span <= 0) return last.elapsedSeconds > 0 ? last.finished / last.elapsedSeconds : 0;
  return (last.finished - first.finished) / span;
}
