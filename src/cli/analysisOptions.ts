/** The options of every command that measures a checkpoint on data, as one option table. */
import type { Argv } from 'yargs';
import { LOSS_CHOICES } from '../objective/resolveLoss.ts';
import { BN_MODES, BnMode } from '../objective/Objective.ts';
import { AUTO_BATCH_SIZE, DEFAULT_BATCH_SIZE } from '../objective/objectiveDefaults.ts';
import { validateBatchSize } from '../objective/modelObjective.ts';
import { applyOptions, type ArgsOf, type OptionTable } from './options/OptionTable.ts';

export const ANALYSIS_GROUP = 'Data and loss:';

/** Data and loss: every command that evaluates a checkpoint on data. */
export const DATA_OPTIONS = {
  data: {
    kind: 'string',
    describe: 'data set: mnist:train|test[:N], fashion-mnist:train|test[:N], npy:X.npy,Y.npy, synthetic:blobs|linreg[:N]',
    demand: true,
  },
  loss: { kind: 'string', describe: 'loss (auto: ce for classes, bce for one output unit, mse for regression)', choices: LOSS_CHOICES, default: LOSS_CHOICES[0] },
  bn: { kind: 'string', describe: 'BatchNorm statistics: eval = running, train = per chunk', choices: BN_MODES, default: BnMode.eval },
  l2: { kind: 'number', describe: 'adds l2 * ||w||^2 to the loss', default: 0, requiresArg: true },
  'batch-size': {
    kind: 'raw',
    describe: `samples per chunk, or auto: chunks whose largest activation is about 8 MB (50 to ${DEFAULT_BATCH_SIZE} samples); results depend on it only in the last float32 bits`,
    default: AUTO_BATCH_SIZE,
    requiresArg: true,
    coerce: validateBatchSize,
  },
} as const satisfies OptionTable;

/** The measures' options: DATA_OPTIONS and --params. */
export const ANALYSIS_OPTIONS = {
  ...DATA_OPTIONS,
  params: {
    kind: 'string',
    describe: 'measure only these parameters: comma-separated names or globs (* and ?), e.g. layer4.*,fc.weight; the others stay fixed',
  },
} as const satisfies OptionTable;

/** The same, --data optional (selftest). */
export const ANALYSIS_OPTIONS_DATA_OPTIONAL = { ...ANALYSIS_OPTIONS, data: { ...ANALYSIS_OPTIONS.data, demand: false } } as const satisfies OptionTable;

export type AnalysisOptions = ArgsOf<typeof ANALYSIS_OPTIONS>;
export type DataOptions = ArgsOf<typeof DATA_OPTIONS>;

/** Adds --data, --loss, --bn, --l2, --batch-size (evaluate, compare). */
export function withDataOptions<T>(y: Argv<T>): Argv<T & ArgsOf<typeof DATA_OPTIONS>> {
  return applyOptions(y, DATA_OPTIONS, ANALYSIS_GROUP);
}

/** Adds --data, --loss, --bn, --l2, --batch-size, --params. */
export function withAnalysisOptions<T>(y: Argv<T>): Argv<T & AnalysisOptions> {
  return applyOptions(y, ANALYSIS_OPTIONS, ANALYSIS_GROUP);
}
