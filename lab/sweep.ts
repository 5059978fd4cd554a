// `--sweep KNOB=V1,V2,…`: one variant measured at each setting of one knob, so models are compared
// each at its best on this machine rather than at one default.
import { optionError } from '../common/errors.js';
import { parseInteger } from '../common/option-parsers.js';
import type { VariantSpec } from '../apps/variants.js';
import type { RunOptions } from './run-options.js';

export const SWEEP_KNOBS = {
  workers: { field: 'workers', min: 1, max: 256, appliesTo: (v: VariantSpec) => v.model === 'prefork', what: 'prefork variants' },
  threads: { field: 'threads', min: 1, max: 256, appliesTo: (v: VariantSpec) => v.model === 'threaded', what: 'threaded variants' },
  'thread-tasks': { field: 'threadTasks', min: 1, max: 1000, appliesTo: (v: VariantSpec) => v.model === 'threaded', what: 'threaded variants' },
  'db-pool': { field: 'dbPool', min: 1, max: 1000, appliesTo: (v: VariantSpec) => v.command === undefined, what: 'the Node variants' },
  'nginx-workers': { field: 'nginxWorkers', min: 1, max: 64, appliesTo: () => true, what: 'every variant' },
  'upstream-keepalive': { field: 'upstreamKeepalive', min: 0, max: 10_000, appliesTo: () => true, what: 'every variant' },
} as const satisfies Record<string, { field: keyof RunOptions; min: number; max: number; appliesTo: (v: VariantSpec) => boolean; what: string }>;

export type SweepKnob = keyof typeof SWEEP_KNOBS;

export interface Sweep {
  knob: SweepKnob;
  values: number[];
}

const MAX_VALUES = 32;

/** "workers=1,2,3,5,9" -> the knob and its values, checked against the variants chosen. */
export function parseSweep(text: string, variants: readonly VariantSpec[]): Sweep {
  const match = /^([a-z-]+)=(.+)$/.exec(text.trim());
  const names = Object.keys(SWEEP_KNOBS).join(', ');
  if (!match) throw optionError('--sweep', `must be KNOB=V1,V2,… with a knob of ${names} (got "${text}")`);
  const knob = match[1] as SweepKnob;
  if (!(knob in SWEEP_KNOBS)) throw optionError('--sweep', `has no knob "${match[1]}"; it takes ${names}`);
  const { min, max, appliesTo, what } = SWEEP_KNOBS[knob];
  const values = match[2]!.split(',').map((v) => parseInteger('--sweep', v.trim(), min, max));
  if (values.length > MAX_VALUES) throw optionError('--sweep', `takes at most ${MAX_VALUES} values`);
  if (new Set(values).size !== values.length) throw optionError('--sweep', `names a value twice (got "${match[2]}")`);
  if (!variants.some(appliesTo)) throw optionError('--sweep', `${knob} applies to ${what}, and none is selected`);
  return { knob, values: [...values].sort((a, b) => a - b) };
}

/** One planned measurement: a variant, and the sweep's setting for it when the knob applies. */
export interface PlannedMeasurement {
  variant: VariantSpec;
  setting?: { knob: SweepKnob; value: number };
  /** The name results, files and summaries carry: "http-prefork-fastify workers=3", or the variant's. */
  name: string;
}

export function plannedMeasurements(variants: readonly VariantSpec[], sweep: Sweep | undefined): PlannedMeasurement[] {
  return variants.flatMap((variant) => {
    if (sweep === undefined || !SWEEP_KNOBS[sweep.knob].appliesTo(variant)) return [{ variant, name: variant.name }];
    return sweep.values.map((value) => ({ variant, setting: { knob: sweep.knob, value }, name: `${variant.name} ${sweep.knob}=${value}` }));
  });
}

/** The run's options with a measurement's setting in place. */
export function optionsFor(options: RunOptions, planned: PlannedMeasurement): RunOptions {
  if (planned.setting === undefined) return options;
  return { ...options, [SWEEP_KNOBS[planned.setting.knob].field]: planned.setting.value };
}

/** "http-prefork-fastify workers=3" -> "http-prefork-fastify.workers-3": a measurement's name as a file name. */
export function fileNameOf(name: string): string {
  return name.replace(/ /g, '.').replace(/=/g, '-');
}
