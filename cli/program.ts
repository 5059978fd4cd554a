// The benchlab program: each command lives in its own file, parses its options and calls the same
// functions that programs and tests call. Implementations load only when their command runs.
import { Command } from 'commander';
import { defineServe } from './serve.js';
import { defineLoad } from './load.js';
import { defineMerge } from './merge.js';
import { defineRun } from './run.js';
import { defineCapacity } from './capacity.js';
import { defineVerify } from './verify.js';
import { defineReport } from './report.js';
import { defineCompare } from './compare.js';
import { defineVariants } from './variants.js';
import { defineSampleContainers } from './sample-containers.js';

export function benchlabProgram(): Command {
  const program = new Command('benchlab')
    .description('Compare ways of running a Node.js app server behind nginx and MySQL, as the classic experiment did.')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`benchlab: ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError('(run benchlab --help for usage)');
  for (const define of [
    defineServe,
    defineLoad,
    defineMerge,
    defineRun,
    defineCapacity,
    defineVerify,
    defineReport,
    defineCompare,
    defineVariants,
    defineSampleContainers,
  ]) {
    define(program);
  }
  return program;
}
