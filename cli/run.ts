// `benchlab run` (`npm run lab`): every variant in turn behind nginx, measured, then the comparison.
import type { Command } from 'commander';
import { RUN_DEFAULTS } from '../common/defaults.js';
import type { RawRunOptions } from '../lab/run-options.js';
import { action } from './action.js';
import { arrivalOptions, resultsOptions, serverSideOptions, withDefault } from './options.js';

export async function runCommand(raw: RawRunOptions): Promise<void> {
  const [
    { runOptionsFrom },
    { runLab },
    { abortOnSignals },
    { phaseReporter, reporterMode },
    { summaryTable },
    { formatBreach, THRESHOLD_EXIT_CODE, thresholdBreaches },
  ] = await Promise.all([
    import('../lab/run-options.js'),
    import('../lab/run.js'),
    import('../lab/interrupt.js'),
    import('../lab/progress/phase-reporter.js'),
    import('../report/summary-table.js'),
    import('../lab/thresholds.js'),
  ]);
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
      if (r.validity && !r.validity.valid) process.stderr.write(`benchlab: ${r.variant}: invalid run: ${r.validity.reasons.join('; ')}\n`);
      if (r.integrity.ok === false) process.stderr.write(`benchlab: ${r.variant}: integrity FAIL: ${r.integrity.problems.join(', ')}\n`);
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

export function defineRun(program: Command): Command {
  const command = program.command('run').description('start db, each variant and nginx in turn, load them, and write the comparison');
  serverSideOptions(command);
  command.option('--variants <list>', withDefault('variants, sets and globs, comma separated', RUN_DEFAULTS.variants));
  arrivalOptions(command, RUN_DEFAULTS, ['closed']);
  resultsOptions(command, 'the variants');
  return command
    .option('--client-procs <n>', withDefault('client processes sharing the load', 'one per client CPU'))
    .option('--client-threads <n>', withDefault('event loops (worker threads) in each client process, sharing its users', RUN_DEFAULTS.clientThreads))
    .option(
      '--max-lateness <ms>',
      withDefault(
        `client lateness p99 that never flags a run; above it, a run is flagged invalid when the lateness p99 is over ${RUN_DEFAULTS.latenessShareOfP50 * 100}% of the user-time p50`,
        RUN_DEFAULTS.maxLatenessMs,
      ),
    )
    .option('--repeat <n>', withDefault('run every variant n times, in a shuffled order each round', RUN_DEFAULTS.repeat))
    .option(
      '--warmup-users <n>',
      withDefault(
        `the least uncounted users before each measurement: the warm-up runs drained one-second rounds, then a continuous load that goes on until the measurement starts, at the measured load's own arrival rate (at least ${RUN_DEFAULTS.warmupRate}, at most ${RUN_DEFAULTS.warmupMaxRate} users/s), until the app's CPU per user settles (at most ${RUN_DEFAULTS.warmupMaxSeconds} rounds and ${RUN_DEFAULTS.warmupMaxSliceSeconds} s); 0: none`,
        RUN_DEFAULTS.warmupUsers,
      ),
    )
    .option(
      '--fault <list>',
      'inject faults into each measured window: kill-worker@T, restart-db@T (with --private-db), reload-nginx@T, stop-app@T; T in seconds from its start, comma separated',
    )
    .option(
      '--sweep <knob=values>',
      'measure each variant the knob applies to at each value, e.g. workers=1,2,3,5,9 (workers, threads, thread-tasks, db-pool, nginx-workers, upstream-keepalive)',
    )
    .option('--slo <objectives>', withDefault('what every variant must hold: the verdict names who served the most users within it', RUN_DEFAULTS.slo))
    .option('--fail-on <limits>', 'exit 99 when a variant breaks one, e.g. "errors>1%,p99>800ms,integrity" (p50|p90|p99|p999|max in ms or s)')
    .action(action(runCommand));
}
