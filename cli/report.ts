// `benchlab report DIR`: renders summary.md, summary.csv and report.html again from a results directory.
import type { Command } from 'commander';
import { action } from './action.js';

export async function reportCommand(dir: string): Promise<void> {
  const [{ readResultsDir }, { writeSummaries }] = await Promise.all([import('../lab/results-dir.js'), import('../report/write-results.js')]);
  const loaded = readResultsDir(dir);
  if (!loaded.runInfoFound) {
    process.stderr.write(`benchlab: ${dir} has no run.json; the report shows no options or environment\n`);
  }
  const written = await writeSummaries(loaded.dir, loaded.run, loaded.results, loaded.capacity);
  process.stdout.write(`${[written.markdownPath, written.csvPath, written.htmlPath].join('\n')}\n`);
}

export function defineReport(program: Command): Command {
  return program
    .command('report')
    .description('render summary.md, summary.csv and report.html again from a results directory')
    .argument('<dir>', 'a results directory (run.json and <variant>.json)')
    .action(action(reportCommand));
}
