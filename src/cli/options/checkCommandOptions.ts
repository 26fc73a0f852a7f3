/** The options of `sharpness check`, once: the tolerances' defaults are the library's (check/compareResults.ts). */
import { CHECK_DEFAULTS } from '../../check/compareResults.ts';
import type { OptionTable } from './OptionTable.ts';

export const CHECK_OPTIONS = {
  result: { kind: 'string', describe: "result file (a command's --out or --json output)", positional: true, demand: true },
  baseline: { kind: 'string', describe: 'the baseline or golden result file to compare with', demand: true },
  rtol: { kind: 'number', describe: 'relative tolerance of deterministic measures', default: CHECK_DEFAULTS.rtol, requiresArg: true },
  atol: { kind: 'number', describe: 'absolute tolerance of deterministic measures', default: CHECK_DEFAULTS.atol, requiresArg: true },
  sigma: { kind: 'number', describe: 'standard errors allowed for stochastic measures (trace, averages, log-volume)', default: CHECK_DEFAULTS.sigma, requiresArg: true },
  update: { kind: 'boolean', describe: 'write the result into the baseline file (deliberately accepting the new values)', default: false },
  'allow-different-checkpoint': { kind: 'boolean', describe: 'compare results of different checkpoints (e.g. a retrained model)', default: false },
  'allow-missing': { kind: 'boolean', describe: 'baseline measures missing from the result do not fail the check', default: false },
} as const satisfies OptionTable;
