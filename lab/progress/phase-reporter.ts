// Where a run's log lines and phase progress go: a redrawn status line on a terminal, the plain log
// lines otherwise, nothing with --quiet or --json.
import type { LoadProgress } from '../../client/progress.js';
import {
  phaseLine,
  recentUsersPerSecond,
  variantDoneLine,
  type FinishedSample,
  type Phase,
  type PhaseEvent,
  type PhaseState,
  type PlacedPhaseEvent,
} from './progress-display.js';
import { paint } from '../../report/ansi.js';

export type ReporterMode = 'tty' | 'lines' | 'silent';

export interface VariantEnd {
  variant: string;
  index: number;
  total: number;
  /** false when it was not measured (failed verification). */
  measured: boolean;
}

/** Progress of the whole run, as the lab reports it. */
export interface LabProgress {
  phase(event: PlacedPhaseEvent): void;
  load(progress: LoadProgress): void;
  end(event: VariantEnd): void;
}

/** Progress of one variant: the run places it. */
export interface VariantProgress {
  phase(event: PhaseEvent): void;
  load(progress: LoadProgress): void;
}

export interface PhaseReporter extends LabProgress {
  log(line: string): void;
  /** Clears the status line and stops redrawing; safe to call twice. */
  close(): void;
}

export interface ReporterStream {
  write(text: string): unknown;
  columns?: number;
}

const REDRAW_INTERVAL_MS = 250;
const CLEAR_LINE = '\r\x1b[2K';
const KEPT_SAMPLES = 40;

export function reporterMode(options: { json: boolean; quiet: boolean }, isTTY: boolean): ReporterMode {
  if (options.json || options.quiet) return 'silent';
  return isTTY ? 'tty' : 'lines';
}

/** A variant's progress placed as variant `index` of `total` of the run. */
export function placed(progress: LabProgress | undefined, index: number, total: number): VariantProgress | undefined {
  if (progress === undefined) return undefined;
  return { phase: (event) => progress.phase({ ...event, index, total }), load: (p) => progress.load(p) };
}

export function phaseReporter(stream: ReporterStream, mode: ReporterMode, nowMs: () => number = () => performance.now()): PhaseReporter {
  let current: (PlacedPhaseEvent & { startMs: number }) | undefined;
  let load: LoadProgress | undefined;
  let loadAtMs = 0;
  let samples: FinishedSample[] = [];
  let phaseMs = new Map<Phase, number>();
  let timer: NodeJS.Timeout | undefined;

  const options = () => ({ color: true, ...(stream.columns !== undefined ? { columns: stream.columns } : {}) });
  const draw = () => {
    if (current === undefined) return;
    // The client reports once a second; the bar moves on between its reports.
    const live = load === undefined ? undefined : { ...load, elapsedSeconds: load.elapsedSeconds + (nowMs() - loadAtMs) / 1000 };
    const state: PhaseState = {
      ...current,
      elapsedMs: nowMs() - current.startMs,
      ...(live !== undefined ? { load: live, usersPerSecond: recentUsersPerSecond(samples) } : {}),
    };
    stream.write(`${CLEAR_LINE}${phaseLine(state, options())}`);
  };
  const closePhase = () => {
    if (current === undefined) return;
    phaseMs.set(current.phase, (phaseMs.get(current.phase) ?? 0) + nowMs() - current.startMs);
    current = undefined;
  };
  const stopTimer = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  if (mode !== 'tty') {
    return {
      log: (line) => {
        if (mode === 'lines') stream.write(`${line}\n`);
      },
      phase: () => {},
      load: () => {},
      end: () => {},
      close: () => {},
    };
  }
  return {
    log(line) {
      stream.write(`${CLEAR_LINE}${line}\n`);
      draw();
    },
    phase(event) {
      closePhase();
      current = { ...event, startMs: nowMs() };
      load = undefined;
      samples = [];
      timer ??= setInterval(draw, REDRAW_INTERVAL_MS).unref();
      draw();
    },
    load(progress) {
      load = progress;
      loadAtMs = nowMs();
      samples.push({ elapsedSeconds: progress.elapsedSeconds, finished: progress.ok + progress.failed });
      if (samples.length > KEPT_SAMPLES) samples.shift();
      draw();
    },
    end(event) {
      closePhase();
      stopTimer();
      const line = event.measured
        ? variantDoneLine(event.variant, event.index, event.total, phaseMs, options())
        : `${paint('✗', 'red', true)} [${event.index}/${event.total}] ${paint(event.variant, 'bold', true)}  not measured`;
      stream.write(`${CLEAR_LINE}${line}\n`);
      phaseMs = new Map();
    },
    close() {
      stopTimer();
      if (current !== undefined) stream.write(CLEAR_LINE);
      current = undefined;
    },
  };
}
