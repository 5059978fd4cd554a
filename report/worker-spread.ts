import { MISSING } from './format.js';
import type { VariantResult } from '../common/result.js';
import type { Column } from './columns.js';

export interface WorkerSpread {
  workers: number;
  minRequests: number;
  maxRequests: number;
  /** max ÷ min: 1 is perfectly even; large means some workers did most of the work. */
  ratio: number | null;
}

/** How answers spread over the workers or threads that X-Worker named. */
export function workerSpread(result: VariantResult): WorkerSpread {
  const counts = Object.values(result.workers ?? {});
  if (counts.length === 0) return { workers: 0, minRequests: 0, maxRequests: 0, ratio: null };
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  return { workers: counts.length, minRequests: min, maxRequests: max, ratio: min > 0 ? max / min : null };
}

export const workerSpreadColumns: readonly Column<VariantResult>[] = [
  { header: 'variant', align: 'left', cell: (r) => r.variant },
  { header: 'workers seen', align: 'right', cell: (r) => String(workerSpread(r).workers) },
  { header: 'min requests', align: 'right', cell: (r) => String(workerSpread(r).minRequests) },
  { header: 'max requests', align: 'right', cell: (r) => String(workerSpread(r).maxRequests) },
  {
    header: 'max/min',
    align: 'right',
    cell: (r) => {
      const s = workerSpread(r);
      return s.ratio === null ? MISSING : s.ratio.toFixed(2);
    },
  },
  {
    header: 'per worker',
    align: 'left',
    cell: (r) =>
      Object.entries(r.workers ?? {})
        .sort((a, b) => b[1] - a[1])
        .map(([w, n]) => `${w}: ${n}`)
        .join(', '),
  },
];
