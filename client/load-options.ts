// What `benchlab load` accepts, its defaults with units, and the one place that says which option is wrong.
import { optionError } from '../common/errors.js';
import { LOAD_DEFAULTS } from '../common/defaults.js';
import type { ArrivalModel } from './arrival-schedule.js';
import { newRunTag } from './post-marker.js';
import { parseStages, stagesSeconds, type Stage } from './stages.js';

export interface LoadOptions {
  /** Base URL of the guestbook, e.g. http://127.0.0.1:8080. */
  target: string;
  /** Label for the results; defaults to the target. */
  variant?: string;
  users: number;
  rampSeconds: number;
  /** Cap on each request, from sending it to the end of its body. */
  timeoutMs: number;
  arrival: ArrivalModel;
  /** Seed of the Poisson schedule. */
  seed?: number;
  /** Makes every posted text unique to this run; defaults to a fresh tag. */
  runTag?: string;
  /** X-Backend value every response must carry. */
  expectBackend?: string;
  /** Whether the page after the redirect must show the user's own post (off for a static target). */
  checkOwnPost?: boolean;
  /** Run only every count-th user of the schedule, starting at index: one of several client processes. */
  shard?: { index: number; count: number };
  /** Arrival-rate stages instead of users over a ramp. */
  stages?: Stage[];
  /** At most this many users in flight; an arrival beyond it waits for a slot or is dropped. */
  maxActive?: number;
  onSaturation?: 'wait' | 'drop';
  /** Closed model instead of arrivals: this many users at all times, each replaced when done. */
  closed?: { connections: number; durationSeconds: number };
}

/** Options as a program or the command line hands them over: numbers and flags may still be text. */
export type RawLoadOptions = { [K in keyof LoadOptions]?: LoadOptions[K] | string };
const SHARD = /^(\d+)\/(\d+)$/;
/** Event loops one client process may run (`benchlab load --threads`). */
export const MAX_THREADS = 64;

/** The command-line spelling of each option, used in every message about it. */
export const loadOptionFlags: Readonly<Record<keyof LoadOptions, string>> = {
  target: '--target',
  variant: '--label',
  users: '--users',
  rampSeconds: '--ramp',
  timeoutMs: '--timeout',
  arrival: '--arrival',
  seed: '--seed',
  runTag: '--run-tag',
  expectBackend: '--expect-backend',
  checkOwnPost: '--check-own-post',
  shard: '--shard',
  stages: '--stages',
  maxActive: '--max-active',
  onSaturation: '--on-saturation',
  closed: '--mode closed',
};

export const MAX_USERS = 1_000_000;
/** One day. */
export const MAX_RAMP_SECONDS = 86_400;
/** One hour: the range of the time histograms. */
export const MAX_TIMEOUT_MS = 3_600_000;
const MAX_SEED = 0xffff_ffff;
const MAX_LABEL_CHARS = 200;
const RUN_TAG = /^[A-Za-z0-9._-]{1,32}$/;
// Visible ASCII and spaces, as an HTTP header value can carry it.
const HEADER_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$/i;

export function validateLoadOptions(raw: RawLoadOptions): LoadOptions {
  const target = httpTarget(raw.target);
  const arrival = raw.arrival ?? LOAD_DEFAULTS.arrival;
  if (arrival !== 'uniform' && arrival !== 'poisson') fail('arrival', 'must be uniform or poisson', arrival);
  const options: LoadOptions = {
    target,
    variant: label('variant', raw.variant ?? target),
    users: integerIn('users', raw.users ?? LOAD_DEFAULTS.users, 1, MAX_USERS),
    rampSeconds: numberIn('rampSeconds', raw.rampSeconds ?? LOAD_DEFAULTS.rampSeconds, 0, MAX_RAMP_SECONDS, 'a number of seconds'),
    timeoutMs: integerIn('timeoutMs', raw.timeoutMs ?? LOAD_DEFAULTS.timeoutMs, 1, MAX_TIMEOUT_MS),
    arrival,
    seed: integerIn('seed', raw.seed ?? LOAD_DEFAULTS.seed, 0, MAX_SEED),
    runTag: runTag(raw.runTag),
    checkOwnPost: flag('checkOwnPost', raw.checkOwnPost ?? LOAD_DEFAULTS.checkOwnPost),
  };
  if (raw.expectBackend !== undefined) {
    if (!HEADER_VALUE.test(raw.expectBackend)) fail('expectBackend', 'must be a header value of visible ASCII characters', raw.expectBackend);
    options.expectBackend = raw.expectBackend;
  }
  if (raw.shard !== undefined) options.shard = shardOf(raw.shard);
  if (raw.maxActive !== undefined) {
    options.maxActive = integerIn('maxActive', raw.maxActive, 1, MAX_USERS);
    options.onSaturation = 'wait';
  }
  if (raw.onSaturation !== undefined) {
    if (raw.onSaturation !== 'wait' && raw.onSaturation !== 'drop') fail('onSaturation', 'must be wait or drop', raw.onSaturation);
    if (options.maxActive === undefined) fail('onSaturation', 'needs --max-active', raw.onSaturation);
    options.onSaturation = raw.onSaturation;
  }
  if (raw.closed !== undefined) options.closed = typeof raw.closed === 'string' ? fail('closed', 'takes --connections and --duration', raw.closed) : raw.closed;
  if (raw.stages !== undefined) {
    options.stages = typeof raw.stages === 'string' ? parseStages(raw.stages) : raw.stages;
    options.rampSeconds = stagesSeconds(options.stages);
  }
  return options;
}

function shardOf(value: { index: number; count: number } | string): { index: number; count: number } {
  const match = typeof value === 'string' ? SHARD.exec(value.trim()) : null;
  const shard = match ? { index: Number(match[1]), count: Number(match[2]) } : typeof value === 'string' ? undefined : value;
  if (!shard || !Number.isInteger(shard.index) || !Number.isInteger(shard.count) || shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
    return fail('shard', 'must be K/N with 0 ≤ K < N, e.g. 0/2', typeof value === 'string' ? value : `${value.index}/${value.count}`);
  }
  return shard;
}

function fail(name: keyof LoadOptions, why: string, got: unknown): never {
  throw optionError(loadOptionFlags[name], `${why} (got ${JSON.stringify(String(got))})`);
}

function httpTarget(value: string | undefined): string {
  if (value === undefined || value === '') throw optionError(loadOptionFlags.target, 'is required, e.g. http://127.0.0.1:8080');
  const why = 'must be an http:// URL without query or fragment, e.g. http://127.0.0.1:8080';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('target', why, value);
  }
  if (url.protocol !== 'http:' || url.hostname === '' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    fail('target', why, value);
  }
  return url.href;
}

function numberIn(name: keyof LoadOptions, value: number | string | boolean, min: number, max: number, what: string): number {
  const number = typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number < min || number > max) {
    fail(name, `must be ${what} from ${min} to ${max}`, value);
  }
  return number;
}

function integerIn(name: keyof LoadOptions, value: number | string | boolean, min: number, max: number): number {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    fail(name, `must be an integer from ${min} to ${max}`, value);
  }
  return number;
}

function label(name: keyof LoadOptions, value: string): string {
  if (value.trim() === '' || value.length > MAX_LABEL_CHARS) fail(name, `must be a label of 1 to ${MAX_LABEL_CHARS} characters`, value);
  return value;
}

function runTag(value: string | undefined): string {
  if (value === undefined) return newRunTag();
  if (!RUN_TAG.test(value)) fail('runTag', "must be 1 to 32 letters, digits, '.', '_' or '-'", value);
  return value;
}

function flag(name: keyof LoadOptions, value: boolean | string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fail(name, 'must be true or false', value);
}
