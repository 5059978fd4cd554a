import { runOptionsFrom, type RawRunOptions } from './run-options.js';
import { runLab } from './run.js';
import { abortOnSignals } from './interrupt.js';
import { summaryTable } from '../report/summary-table.js';

export async function runCommand(raw: RawRunOptions): Promise<void> {
  const options = runOptionsFrom(raw);
  const interrupt = abortOnSignals();
  const log = (line: string) => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };
  try {
    const lab = await runLab(options, { log, signal: interrupt.signal, showProgress: !options.json && process.stdout.isTTY === true });
    const stopped = interrupt.interrupted();
    if (stopped) throw stopped;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ outDir: lab.outDir, run: lab.run, results: lab.results }, null, 2)}\n`);
    } else {
      process.stdout.write(`\n${summaryTable(lab.results, { color: process.stdout.isTTY === true })}\n`);
      process.stdout.write(`results: ${lab.outDir}\n`);
    }
  } catch (error) {
    throw interrupt.interrupted() ?? error;
  } finally {
    interrupt.dispose();
  }
}
