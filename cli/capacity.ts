// `benchlab capacity`: parse, run the search with a progress display, print the capacities.
import type { Command } from 'commander';
import { CAPACITY_DEFAULTS, RUN_DEFAULTS } from '../common/defaults.js';
import type { RawCapacityOptions } from '../lab/capacity/options.js';
import { action } from './action.js';
import { resultsOptions, serverSideOptions, withDefault } from './options.js';

export async function capacityCommand(raw: RawCapacityOptions): Promise<void> {
  const [{ capacityOptionsFrom }, { runCapacity }, { abortOnSignals }, { phaseReporter, reporterMode }, { capacityTable }] = await Promise.all([
    import('../lab/capacity/options.js'),
    import('../lab/capacity/run.js'),
    import('../lab/interrupt.js'),
    import('../lab/progress/phase-reporter.js'),
    import('../report/capacity-section.js'),
  ]);
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

export function defineCapacity(program: Command): Command {
  const command = program
    .command('capacity')
    .description('find the highest arrival rate each variant sustains within an SLO, stepping the rate up and then bisecting');
  serverSideOptions(command);
  command
    .option('--variants <list>', withDefault('variants, sets and globs, comma separated', RUN_DEFAULTS.variants))
    .option('--slo <objectives>', withDefault('what must hold at a sustained rate: errors<N%, p50|p90|p99|p999|max<N in ms or s', CAPACITY_DEFAULTS.slo))
    .option('--start-rate <users/s>', withDefault('first rate', CAPACITY_DEFAULTS.startRate))
    .option('--max-rate <users/s>', withDefault('highest rate tried', CAPACITY_DEFAULTS.maxRate))
    .option('--step-seconds <seconds>', withDefault('users arrive for this long at each rate', CAPACITY_DEFAULTS.stepSeconds))
    .option('--steps <n>', withDefault('measurements per variant at most', CAPACITY_DEFAULTS.maxSteps))
    .option(
      '--confirm <n>',
      withDefault('measurements of the rate found after the first; it counts only if it held every time', CAPACITY_DEFAULTS.confirmations),
    )
    .option('--timeout <ms>', withDefault('per-request timeout in ms', "2 × the SLO's slowest time limit, 1000 to 10000"))
    .option(
      '--warmup-users <n>',
      withDefault(
        `the least uncounted users before the first step, in the same warm-up as run's (until the app's CPU per user settles)`,
        RUN_DEFAULTS.warmupUsers,
      ),
    );
  return resultsOptions(command, 'capacity-<variants>').action(action(capacityCommand));
}
