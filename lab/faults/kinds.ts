import { optionError } from '../../common/errors.js';
import { parseSeconds } from '../../common/option-parsers.js';
import type { FaultRecord } from '../../common/result.js';
import type { VariantSpec } from '../../apps/variants.js';

// `benchlab run --fault kill-worker@3s,stop-app@6s`: faults injected at set times into each
// variant's measured window, recorded with the moment they happened.

export type FaultKind = FaultRecord['kind'];

export const FAULT_KINDS: readonly FaultKind[] = ['kill-worker', 'restart-db', 'reload-nginx', 'stop-app'];

export interface Fault {
  kind: FaultKind;
  /** Seconds from the start of the measured window. */
  atSeconds: number;
}

const OPTION = '--fault';

/** Milliseconds are enough, and `0.1m` reads as 6, not 6.000000000000001. */
const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** Reads a fault list, `KIND@SECONDS` comma separated, into faults in time order. */
export function parseFaults(text: string): Fault[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) throw optionError(OPTION, `names no fault (faults: ${FAULT_KINDS.join(', ')})`);
  const faults = parts.map((part): Fault => {
    const at = part.lastIndexOf('@');
    if (at <= 0) throw optionError(OPTION, `must look like KIND@SECONDS, e.g. kill-worker@3s (got "${part}")`);
    const kind = part.slice(0, at);
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw optionError(OPTION, `has an unknown fault "${kind}" (faults: ${FAULT_KINDS.join(', ')})`);
    }
    return { kind: kind as FaultKind, atSeconds: round(parseSeconds(OPTION, part.slice(at + 1), 0, 3600)) };
  });
  return faults.sort((a, b) => a.atSeconds - b.atSeconds);
}

/** Refuses faults the run cannot inject, before anything starts. */
export function checkFaults(faults: readonly Fault[], run: { variants: readonly VariantSpec[]; privateDatabase: boolean }): void {
  const kinds = new Set(faults.map((f) => f.kind));
  if (kinds.has('restart-db') && !run.privateDatabase) {
    throw optionError(
      OPTION,
      'restart-db needs the private database (the default; --private-db where $DATABASE_URL is set): the lab restarts only a database server it started itself, not one given by --database',
    );
  }
  if (kinds.has('kill-worker')) {
    const without = run.variants.filter((v) => v.model === 'single' || (v.model === 'threaded' && v.command !== undefined));
    if (without.length > 0) {
      throw optionError(OPTION, `kill-worker needs a prefork worker or a pool thread to kill, and ${without.map((v) => v.name).join(', ')} has none`);
    }
  }
}

/** Injects one fault into the running variant and says what it did; throws when it could not. */
export type FaultInjector = (fault: Fault) => Promise<string>;

export interface FaultSchedule {
  /** Starts the clock: call when the measured client starts. */
  start(): void;
  /** Cancels faults not yet due, waits for one being injected, and returns what happened. Never throws. */
  settle(): Promise<FaultRecord[]>;
}

/** Injects the faults one at a time at their moments; a fault due while another is injected follows it. */
export function scheduleFaults(faults: readonly Fault[], inject: FaultInjector, log: (line: string) => void): FaultSchedule {
  const records: FaultRecord[] = [];
  const timers: NodeJS.Timeout[] = [];
  const due = new Set(faults);
  let startedAt = 0;
  let queue: Promise<void> = Promise.resolve();
  const since = () => (performance.now() - startedAt) / 1000;

  const fire = (fault: Fault) => {
    due.delete(fault);
    queue = queue.then(async () => {
      const atSeconds = round(since());
      let detail: string;
      try {
        detail = await inject(fault);
      } catch (error) {
        detail = `failed: ${(error as Error).message}`;
      }
      records.push({ kind: fault.kind, atSeconds, detail });
      log(`fault ${fault.kind} at ${atSeconds.toFixed(1)} s: ${detail}`);
    });
  };

  return {
    start() {
      startedAt = performance.now();
      for (const fault of faults) timers.push(setTimeout(() => fire(fault), fault.atSeconds * 1000));
    },
    async settle() {
      for (const timer of timers) clearTimeout(timer);
      await queue;
      const ended = round(since());
      for (const fault of due) {
        records.push({ kind: fault.kind, atSeconds: fault.atSeconds, detail: `not injected: the measured window ended at ${ended} s` });
      }
      due.clear();
      return records;
    },
  };
}
