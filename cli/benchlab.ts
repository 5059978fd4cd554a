// The benchlab command line (bin/benchlab.js runs this file).
import { stopWithParent } from '../lab/stack/parent-watch.js';
import { fail } from './action.js';
import { benchlabProgram } from './program.js';

stopWithParent();
benchlabProgram().parseAsync(process.argv).catch(fail);
