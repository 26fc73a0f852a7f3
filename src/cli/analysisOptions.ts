import type { Argv } from 'yargs';
import { UsageError } from '../errors.ts';
import { LOSS_CHOICES } from '../objective/resolveLoss.ts';
import { BN_MODES, BnMode } from '../objective/Objective.ts';
import { AUTO_BATCH_SIZE, DEFAULT_BATCH_SIZE, type BatchSize } from '../objective/objectiveDefaults.ts';
import { validateBatchSize } from '../objective/modelObjective.ts';

/** The options of every command that measures a checkpoint on data. */
export interface AnalysisOptions {
  data: string;
  loss: string;
  bn: BnMode;
  l2: number;
  batchSize: BatchSize;
  params?: string | undefined;
}

export const ANALYSIS_GROUP = 'Data and loss:';

/** Adds --data, --loss, --bn, --l2, --batch-size. */
export function withAnalysisOptions<T>(y: Argv<T>, opts: { dataRequired?: boolean; params?: boolean } = {}): Argv<T & AnalysisOptions> {
  const measured = opts.params ?? true;
  return y
    .option('data', {
      describe: 'data set: mnist:train|test[:N], fashion-mnist:train|test[:N], npy:X.npy,Y.npy, synthetic:blobs|linreg[:N]',
      type: 'string',
      demandOption: opts.dataRequired ?? true,
      requiresArg: true,
    })
    .option('loss', { describe: 'loss (auto: ce for classes, bce for one output unit, mse for regression)', choices: LOSS_CHOICES, default: 'auto' })
    .option('bn', { describe: 'BatchNorm statistics: eval = running, train = per chunk', choices: BN_MODES, default: BnMode.eval })
    .option('l2', { describe: 'adds l2 * ||w||^2 to the loss', type: 'number', default: 0, requiresArg: true })
    .option('batch-size', {
      describe: `samples per chunk, or auto: chunks whose largest activation is about 8 MB (50 to ${DEFAULT_BATCH_SIZE} samples); results depend on it only in the last float32 bits`,
      default: AUTO_BATCH_SIZE,
      requiresArg: true,
      coerce: (v: unknown) => validateBatchSize(v),
    })
    .option('params', {
      hidden: !measured,
      describe: 'measure only these parameters: comma-separated names or globs (* and ?), e.g. layer4.*,fc.weight; the others stay fixed',
      type: 'string',
      requiresArg: true,
    })
    .check((argv) => {
      if (!measured && argv['params'] !== undefined) throw new UsageError('--params applies to the measures (hessian, ball, volume, selftest), not to this command');
      return true;
    })
    .group(['data', 'loss', 'bn', 'l2', 'batch-size', ...(measured ? ['params'] : [])], ANALYSIS_GROUP) as unknown as Argv<T & AnalysisOptions>;
}
