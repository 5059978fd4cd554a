// Arrival-rate stages, as k6's ramping-arrival-rate: `10s:20,30s:100,10s:0` ramps the rate of
// arriving users linearly to 20/s over 10 s, to 100/s over 30 s, then down to 0 over 10 s.
import { optionError } from '../common/errors.js';
import { seededRandom } from './seeded-random.js';
import type { ArrivalModel } from './arrival-schedule.js';
import type { Stage } from '../common/result.js';

export type { Stage };

const US_PER_SECOND = 1_000_000;
const STAGE = /^(\d+(?:\.\d+)?)(ms|s|m)?:(\d+(?:\.\d+)?)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60 };
const MAX_STAGE_SECONDS = 86_400;
const MAX_RATE = 1_000_000;

export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const part of text.split(',')) {
    const match = STAGE.exec(part.trim());
    if (!match) throw optionError('--stages', `must be a list of DURATION:RATE like 10s:20,30s:100,10s:0 (got "${part.trim()}")`);
    const durationSeconds = Number(match[1]) * UNIT_SECONDS[match[2] ?? 's']!;
    const targetRate = Number(match[3]);
    if (durationSeconds <= 0 || durationSeconds > MAX_STAGE_SECONDS)
      throw optionError('--stages', `has a stage of ${part.trim()}: durations must be above 0 and at most a day`);
    if (targetRate > MAX_RATE) throw optionError('--stages', `has a rate above ${MAX_RATE} users/s in "${part.trim()}"`);
    stages.push({ durationSeconds, targetRate });
  }
  if (!stages.some((s) => s.targetRate > 0)) throw optionError('--stages', 'never rises above 0 users/s, so nobody would arrive');
  return stages;
}

interface Segment {
  startSeconds: number;
  durationSeconds: number;
  fromRate: number;
  toRate: number;
  /** Users arrived before the segment starts. */
  before: number;
}

function segmentsOf(stages: readonly Stage[], startRate: number): Segment[] {
  const segments: Segment[] = [];
  let t = 0;
  let rate = startRate;
  let before = 0;
  for (const stage of stages) {
    segments.push({ startSeconds: t, durationSeconds: stage.durationSeconds, fromRate: rate, toRate: stage.targetRate, before });
    before += ((rate + stage.targetRate) / 2) * stage.durationSeconds;
    t += stage.durationSeconds;
    rate = stage.targetRate;
  }
  return segments;
}

/** Users expected to have arrived by `seconds`: the integral of the piecewise-linear rate. */
export function expectedArrivals(stages: readonly Stage[], seconds: number, startRate = 0): number {
  let total = 0;
  for (const s of segmentsOf(stages, startRate)) {
    const tau = Math.min(Math.max(seconds - s.startSeconds, 0), s.durationSeconds);
    const slope = (s.toRate - s.fromRate) / s.durationSeconds;
    total += s.fromRate * tau + (slope * tau * tau) / 2;
  }
  return total;
}

/** The time at which the expected arrivals reach `n` (the inverse of expectedArrivals). */
function timeOfArrival(segments: readonly Segment[], n: number): number {
  for (const s of segments) {
    const inSegment = ((s.fromRate + s.toRate) / 2) * s.durationSeconds;
    if (n > s.before + inSegment) continue;
    const need = n - s.before;
    const a = (s.toRate - s.fromRate) / (2 * s.durationSeconds);
    const b = s.fromRate;
    const tau = Math.abs(a) < 1e-12 ? need / b : (-b + Math.sqrt(Math.max(0, b * b + 4 * a * need))) / (2 * a);
    return s.startSeconds + Math.min(Math.max(tau, 0), s.durationSeconds);
  }
  const last = segments.at(-1)!;
  return last.startSeconds + last.durationSeconds;
}

/**
 * Arrival offsets in whole microseconds for the stages: uniform puts user i where the expected
 * count reaches i; Poisson maps a unit-rate Poisson process through the same curve.
 */
export function stagedSchedule(stages: readonly Stage[], arrival: ArrivalModel, seed = 1, startRate = 0): Float64Array {
  const segments = segmentsOf(stages, startRate);
  const total = expectedArrivals(stages, Number.POSITIVE_INFINITY, startRate);
  const points: number[] = [];
  if (arrival === 'uniform') {
    for (let i = 0; i < Math.floor(total); i++) points.push(i);
  } else {
    const random = seededRandom(seed);
    let e = -Math.log(1 - random());
    while (e < total) {
      points.push(e);
      e -= Math.log(1 - random());
    }
  }
  const offsets = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) offsets[i] = Math.round(timeOfArrival(segments, points[i]!) * US_PER_SECOND);
  return offsets;
}

export function stagesSeconds(stages: readonly Stage[]): number {
  return stages.reduce((sum, s) => sum + s.durationSeconds, 0);
}
