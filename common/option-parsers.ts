import { optionError } from './errors.js';

// Parsers that name the option and the offending value, so bad input gets one clear line.

export function parseInteger(option: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text.trim())) throw optionError(option, `must be a whole number (got "${text}")`);
  const value = Number(text);
  if (value < min || value > max) {
    throw optionError(option, `must be between ${min} and ${max} (got ${value})`);
  }
  return value;
}

export function parseSeconds(option: string, text: string, min = 0, max = 3600): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw optionError(option, `must be a duration like 10, 10s, 500ms or 2m (got "${text}")`);
  const unit = match[2] ?? 's';
  const seconds = Number(match[1]) * (unit === 'ms' ? 0.001 : unit === 'm' ? 60 : 1);
  if (seconds < min || seconds > max) {
    throw optionError(option, `must be between ${min} s and ${max} s (got ${text})`);
  }
  return seconds;
}

/** A CPU list for taskset: `0`, `0,2` or `0-3`, each CPU below the machine's count. */
export function parseCpuList(option: string, text: string, cores: number): number[] {
  const cpus = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw optionError(option, `must be a CPU list like 0 or 0-1 or 0,2 (got "${text}")`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw optionError(option, `has a backwards range "${part}"`);
    for (let c = from; c <= to; c++) {
      if (c >= cores) throw optionError(option, `names CPU ${c}, but this machine has CPUs 0-${cores - 1}`);
      cpus.add(c);
    }
  }
  return [...cpus].sort((a, b) => a - b);
}

export function oneOf<T extends string>(option: string, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw optionError(option, `must be one of ${allowed.join(', ')} (got "${text}")`);
}
