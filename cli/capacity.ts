// `benchlab capacity`: parse, run the search with a progress display, print the capacities.
import { capacityOptionsFrom, type RawCapacityOptions } from '../lab/capacity/options.js';
import { runCapacity } from '../lab/capacity/run.js';
import { abortOnSignals } from '../lab/interrupt.js';
import { phaseReporter, reporterMode } from '../lab/progress/phase-reporter.js';
import { capacityTable } from '../report/capacity-section.js';

export async function capacityCommand(raw: RawCapacityOptions): Promise<void> {
  const options = capacityOptionsFrom(raw);
  const interrupt = abortOnSignals();
  const reporter = phaseReporter(process.stderr, reporterMode(options.run, process.stderr.isTTY === true));
  try {
    const lab = await runCapacity(options, { log: (line) => reporter.log(line), signal: interrupt.signal, progress: reporter });
    reporter.close();
    const stopped = interrupt.interrupted();
    if (stopped) throw stopped;
    if (options.run.json) {
      process.stdout.write(`${JSON.stringify({ outDir: lab.outDir, capacity: lab.capacity }, null, 2)}\n`);
    } else if (options.run.quiet) {
      process.stdout.write(`${lab.outDir}\n`);
    } else {
      process.stdout.write(`\n${capacityTable(lab.capacity, { color: process.stdout.isTTY === true })}`);
      process.stdout.write(`results: ${lab.outDir}\n`);
    }
    // As for run: a variant that could not be measured is a failure, after everything else is written.
    for (const skipped of lab.run.notMeasured ?? []) {
      process.stderr.write(`benchlab: not measured: ${skipped.variant}: ${skipped.reason}\n`);
      process.exitCode = 1;
    }
  } catch (error) {
    throw interrupt.interrupted() ?? error;
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
