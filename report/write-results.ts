// Writes the comparison files of a results directory; rendering stays in the pure formatters.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VariantResult } from '../common/result.js';
import { reportHtml } from './report-html.js';
import type { RunInfo } from './run-info.js';
import type { CapacityReport } from './capacity-result.js';
import { summaryCsv } from './summary-csv.js';
import { summaryMarkdown } from './summary-markdown.js';

export interface SummaryPaths {
  markdownPath: string;
  csvPath: string;
  htmlPath: string;
}

/** `capacity`: the figures of `benchlab capacity`, for its own section and charts. */
export async function writeSummaries(dir: string, run: RunInfo, results: VariantResult[], capacity?: CapacityReport): Promise<SummaryPaths> {
  await mkdir(dir, { recursive: true });
  const markdownPath = path.join(dir, 'summary.md');
  const csvPath = path.join(dir, 'summary.csv');
  await writeFile(markdownPath, summaryMarkdown(run, results, capacity), 'utf8');
  await writeFile(csvPath, summaryCsv(results), 'utf8');
  const htmlPath = path.join(dir, 'report.html');
  await writeFile(htmlPath, reportHtml(run, results, capacity), 'utf8');
  return { markdownPath, csvPath, htmlPath };
}
