import fs from 'node:fs';
import { validateLoadOptions } from '../client/load-options.js';
import { runLoad } from '../client/load.js';
import { formatProgressLine } from '../client/progress.js';
import { abortOnSignals } from './interrupt.js';
import { summaryTable } from '../report/summary-table.js';
import type { LoadResult, VariantResult } from '../client/result.js';

export interface RawLoadCommandOptions {
  target?: string;
  users?: string;
  ramp?: string;
  timeout?: string;
  arrival?: string;
  seed?: string;
  expectBackend?: string;
  checkOwnPost?: boolean;
  label?: string;
  runTag?: string;
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

const PROGRESS_INTERVAL_MS = 500;

/** A load result alone has no server-side figures; the table shows them as missing. */
function asTableRow(result: LoadResult): VariantResult {
  const none = { cpuSeconds: 0, rssPeakBytes: 0, rssMeanBytes: 0, samples: 0, processes: 0 };
  return {
    ...result,
    integrity: { postsAccepted: result.posts.accepted, postsIndeterminate: result.posts.indeterminate, rows: 0, missing: 0, duplicated: 0, ok: true },
    server: none,
    nginx: none,
    database: null,
    setup: { startMs: 0, workers: 0, contractCheck: 'pass' },
  };
}

/** `benchlab load`: the scenario client on its own, against any target that speaks the contract. */
export async function loadCommand(raw: RawLoadCommandOptions): Promise<void> {
  const options = validateLoadOptions({
    target: raw.target,
    variant: raw.label,
    users: raw.users,
    rampSeconds: raw.ramp,
    timeoutMs: raw.timeout,
    arrival: raw.arrival,
    seed: raw.seed,
    runTag: raw.runTag,
    expectBackend: raw.expectBackend,
    checkOwnPost: raw.checkOwnPost,
  });
  const live = !raw.quiet && !raw.json && process.stdout.isTTY === true;
  const interrupt = abortOnSignals();
  let lastDrawMs = 0;
  try {
    const result = await runLoad(options, {
      signal: interrupt.signal,
      ...(live
        ? {
            onProgress: (p) => {
              const now = performance.now();
              if (now - lastDrawMs < PROGRESS_INTERVAL_MS) return;
              lastDrawMs = now;
              process.stdout.write(`\r${formatProgressLine(p)}\x1b[K`);
            },
          }
        : {}),
    });
    if (live) process.stdout.write('\n');
    if (raw.out) fs.writeFileSync(raw.out, `${JSON.stringify(result, null, 2)}\n`);
    if (raw.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (!raw.quiet) process.stdout.write(`${summaryTable([asTableRow(result)], { color: process.stdout.isTTY === true })}\n`);
    const stopped = interrupt.interrupted();
    if (stopped) throw stopped;
  } finally {
    interrupt.dispose();
  }
}
