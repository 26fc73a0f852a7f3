/** The options of `sharpness selftest`, once: the derivative check's defaults are the library's (check/derivativeCheck.ts). */
import { DERIVATIVE_CHECK_DEFAULTS } from '../../check/derivativeCheck.ts';
import type { OptionTable } from './OptionTable.ts';

export const SELFTEST_OPTIONS = {
  checkpoint: { kind: 'string', describe: 'a checkpoint (any format) to check on --data', positional: true },
  only: { kind: 'string', describe: 'comma-separated known minima to run (default: all)' },
  directions: { kind: 'number', describe: 'random unit directions for the derivative check of a checkpoint', default: DERIVATIVE_CHECK_DEFAULTS.directions, requiresArg: true },
  step: { kind: 'number', describe: 'central-difference step along a unit direction', default: DERIVATIVE_CHECK_DEFAULTS.step, requiresArg: true },
} as const satisfies OptionTable;
