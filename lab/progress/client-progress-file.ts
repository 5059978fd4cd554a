// How a measuring client (`benchlab load --progress-file`) tells the lab its live counts: it replaces a
// small JSON file twice a second, and the lab reads it back. A file, because the client's own output
// is its log and it may run under taskset in another process group.
import fs from 'node:fs';
import type { LoadProgress } from '../../client/progress.js';

export const PROGRESS_FILE_INTERVAL_MS = 500;

/** Written beside and renamed over, so a reader never sees half a file. */
export function writeProgressFile(file: string, progress: LoadProgress): void {
  const partial = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(partial, JSON.stringify(progress));
    fs.renameSync(partial, file);
  } catch {
    // Progress is for show: a file that cannot be written must not end a measurement.
  }
}

const FIELDS = ['elapsedSeconds', 'scheduled', 'started', 'ok', 'failed', 'inFlight'] as const;

export function readProgressFile(file: string): LoadProgress | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    return FIELDS.every((f) => typeof value[f] === 'number') ? (value as unknown as LoadProgress) : undefined;
  } catch {
    // Not written yet.
    return undefined;
  }
}

/** Several clients' counts as one: they share one schedule, so the time is the furthest along. */
export function sumProgress(parts: readonly LoadProgress[]): LoadProgress {
  return {
    elapsedSeconds: Math.max(0, ...parts.map((p) => p.elapsedSeconds)),
    scheduled: parts.reduce((a, p) => a + p.scheduled, 0),
    started: parts.reduce((a, p) => a + p.started, 0),
    ok: parts.reduce((a, p) => a + p.ok, 0),
    failed: parts.reduce((a, p) => a + p.failed, 0),
    inFlight: parts.reduce((a, p) => a + p.inFlight, 0),
  };
}

/** Reads the clients' files every interval and reports their sum once any has written; returns a stop function. */
export function watchProgressFiles(files: readonly string[], onProgress: (progress: LoadProgress) => void, intervalMs = PROGRESS_FILE_INTERVAL_MS): () => void {
  let lastElapsed = -1;
  const timer = setInterval(() => {
    const parts = files.map(readProgressFile).filter((p): p is LoadProgress => p !== undefined);
    if (parts.length === 0) return;
    const sum = sumProgress(parts);
    // The client writes once a second; the same counts twice are not news.
    if (sum.elapsedSeconds === lastElapsed) return;
    lastElapsed = sum.elapsedSeconds;
    onProgress(sum);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
