// The shape of capacity.json, which `benchlab capacity` writes and the summaries read.

export const CAPACITY_FILE = 'capacity.json';

export interface CapacityStep {
  /** Users arriving per second in this step. */
  rate: number;
  /** Users scheduled: rate × step seconds. */
  users: number;
  /** Users that finished without an error, per second of the step (its drain included); null for a zero-length step. */
  usersPerSecond: number | null;
  /** User times in ms; null when no user finished. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Failed users out of scheduled, in percent. */
  errorsPercent: number;
  integrityOk: boolean;
  /** The client fell behind its schedule: a failing step may then say more about the client than the server. */
  clientSaturated: boolean;
  pass: boolean;
  /** What missed the SLO, e.g. "p99 1204.3 ms"; empty when the step passed. */
  broken: string[];
  /** The step's full result, beside capacity.json. */
  file: string;
  /**
   * The continuous load at the step's rate that led into it: its seconds, whether it settled and went
   * on until the step's clients started, and the users in flight when it ended because the server did
   * not keep up (absent in older results and with --warmup-users 0).
   */
  leadIn?: { seconds: number; keptWarm: boolean; queued?: number; queuedAttempts?: number[] };
}

export interface VariantCapacity {
  variant: string;
  /** The highest rate (users/s) that held the SLO; null when none did or the variant was not measured. */
  capacity: number | null;
  /** Why the search stopped: converged, max-rate (capacity is at least that), min-rate or steps. */
  searchEnd: 'converged' | 'max-rate' | 'min-rate' | 'steps' | 'not-measured';
  /** Every step in the order measured. */
  steps: CapacityStep[];
  /** Why the variant was not measured (failed verification, not installed). */
  notMeasured?: string;
}

export interface CapacityReport {
  /** The objectives as given, e.g. "errors<1%,p99<1s". */
  slo: string;
  startRate: number;
  maxRate: number;
  stepSeconds: number;
  maxSteps: number;
  /** Measurements of the rate found after the first (absent in older results: one). */
  confirmations?: number;
  variants: VariantCapacity[];
}

/** The step measured at the capacity, or null when no rate held the SLO. */
export function capacityStep(v: VariantCapacity): CapacityStep | null {
  return v.capacity === null ? null : (v.steps.find((s) => s.pass && s.rate === v.capacity) ?? null);
}

/** The lowest failing rate above the capacity: where the SLO first broke. */
export function firstFailingStep(v: VariantCapacity): CapacityStep | null {
  const failing = v.steps.filter((s) => !s.pass && s.rate > (v.capacity ?? 0));
  return failing.length === 0 ? null : failing.reduce((a, b) => (b.rate < a.rate ? b : a));
}

/** The step whose full result stands for the variant in the summary: at its capacity, else its lowest rate. */
export function representativeStep(v: VariantCapacity): CapacityStep | null {
  const atCapacity = capacityStep(v);
  if (atCapacity !== null) return atCapacity;
  return v.steps.length === 0 ? null : v.steps.reduce((a, b) => (b.rate < a.rate ? b : a));
}
