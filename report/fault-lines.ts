// Under a variant's block in summary.md: the faults injected into its measured window, and the rows
// they left without a 302, so a reader never takes those errors for the server's own.
import type { VariantResult } from '../common/result.js';

export function faultLines(result: VariantResult): string[] {
  const lines = (result.faults ?? []).map((f) => `Fault: ${f.kind} at ${f.atSeconds.toFixed(1)}s: ${f.detail}`);
  const unaccepted = result.integrity.unaccepted ?? 0;
  if (unaccepted > 0) lines.push(`Rows written for POSTs answered with an error or not at all: ${unaccepted}`);
  return lines;
}
