// `benchlab report DIR`: renders summary.md, summary.csv and report.html again from a results directory.
import { readResultsDir } from '../lab/results-dir.js';
import { writeSummaries } from '../report/write-results.js';

export async function reportCommand(dir: string): Promise<void> {
  const loaded = readResultsDir(dir);
  if (!loaded.runInfoFound) {
    process.stderr.write(`benchlab: ${dir} has no run.json; the report shows no options or environment\n`);
  }
  const written = await writeSummaries(loaded.dir, loaded.run, loaded.results, loaded.capacity);
  process.stdout.write(`${[written.markdownPath, written.csvPath, written.htmlPath].join('\n')}\n`);
}
