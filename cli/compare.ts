// `benchlab compare DIR_A DIR_B`: the table on stdout, compare.md and compare.html in DIR_B (or --out).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { optionError } from '../common/errors.js';
import type { ResultsDir } from '../lab/results-dir.js';
import { action } from './action.js';

export interface RawCompareOptions {
  out?: string;
}

async function loaded(dir: string): Promise<ResultsDir> {
  const { readResultsDir } = await import('../lab/results-dir.js');
  const results = readResultsDir(dir);
  if (!results.runInfoFound) process.stderr.write(`benchlab: ${dir} has no run.json; its label is the folder's name\n`);
  return results;
}

/** Where compare.html and compare.md go: DIR_B, or --out FILE.html with the markdown beside it. */
export function comparePaths(dirB: string, out: string | undefined): { htmlPath: string; markdownPath: string } {
  if (out === undefined) return { htmlPath: path.join(dirB, 'compare.html'), markdownPath: path.join(dirB, 'compare.md') };
  if (!/\.html?$/i.test(out)) throw optionError('--out', `must name an .html file (got "${out}")`);
  const htmlPath = path.resolve(out);
  return { htmlPath, markdownPath: htmlPath.replace(/\.html?$/i, '.md') };
}

export async function compareCommand(dirA: string, dirB: string, raw: RawCompareOptions): Promise<void> {
  const paths = comparePaths(path.resolve(dirB), raw.out);
  const [{ compareRuns }, { compareHtml, compareMarkdown, compareText }] = await Promise.all([
    import('../report/compare.js'),
    import('../report/compare-report.js'),
  ]);
  const a = await loaded(dirA);
  const b = await loaded(dirB);
  const comparison = compareRuns(a.results, b.results);
  await mkdir(path.dirname(paths.htmlPath), { recursive: true });
  await writeFile(paths.markdownPath, compareMarkdown(a, b, comparison), 'utf8');
  await writeFile(paths.htmlPath, compareHtml(a, b, comparison), 'utf8');
  process.stdout.write(compareText(a, b, comparison, { color: process.stdout.isTTY === true }));
  process.stdout.write(`\ncompare: ${paths.markdownPath}\ncompare: ${paths.htmlPath}\n`);
}

export function defineCompare(program: Command): Command {
  return program
    .command('compare')
    .description('compare two results directories per variant, and say which changes are larger than the noise')
    .argument('<dirA>', 'the earlier results directory')
    .argument('<dirB>', 'the later one; compare.md and compare.html are written here')
    .option('--out <file.html>', 'write the HTML page here instead (and the markdown beside it)')
    .action(action(compareCommand));
}
