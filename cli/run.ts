import { runOptionsFrom, type RawRunOptions } from '../lab/run-options.js';
import { runLab } from '../lab/run.js';
import { abortOnSignals } from '../lab/interrupt.js';
import { phaseReporter, reporterMode } from '../lab/progress/phase-reporter.js';
import { summaryTable } from '../report/summary-table.js';
import { formatBreach, THRESHOLD_EXIT_CODE, thresholdBreaches } from '../lab/thresholds.js';

export async function runCommand(raw: RawRunOptions): Promise<void> {
  const options = runOptionsFrom(raw);
  const interrupt = abortOnSignals();
  const reporter = phaseReporter(process.stderr, reporterMode(options, process.stderr.isTTY === true));
  try {
    const lab = await runLab(options, { log: (line) => reporter.log(line), signal: interrupt.signal, progress: reporter });
    reporter.close();
    const stopped = interrupt.interrupted();
    if (stopped) throw stopped;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ outDir: lab.outDir, run: lab.run, results: lab.results }, null, 2)}\n`);
    } else if (options.quiet) {
      process.stdout.write(`${lab.outDir}\n`);
    } else {
      process.stdout.write(`\n${summaryTable(lab.results, { color: process.stdout.isTTY === true })}\n`);
      process.stdout.write(`results: ${lab.outDir}\n`);
    }
    for (const r of lab.results) {
      if (r.validity && !r.validity.valid) process.stderr.write(`benchlab: ${r.variant}: invalid run, the client was saturated: ${r.validity.reasons.join('; ')}\n`);
    }
    for (const skipped of lab.run.notMeasured ?? []) {
      process.stderr.write(`benchlab: not measured: ${skipped.variant}: ${skipped.reason}\n`);
      process.exitCode = 1;
    }
    const breaches = thresholdBreaches(lab.results, options.failOn);
    for (const breach of breaches) process.stderr.write(`benchlab: ${formatBreach(breach)}\n`);
    // A variant that could not be measured (exit 1) outranks a broken limit.
    if (breaches.length > 0 && !process.exitCode) process.exitCode = THRESHOLD_EXIT_CODE;
  } catch (error) {
    throw interrupt.interrupted() ?? error;
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
