/** The options of `sharpness swa`, once. */
import { DATA_OPTIONS } from '../analysisOptions.ts';
import { ITEM_OPTIONS } from '../itemOptions.ts';
import type { OptionTable } from './OptionTable.ts';

export const SWA_OPTIONS = {
  checkpoints: { kind: 'string', describe: 'checkpoint directories (at least 2)', positional: true, array: true, demand: true },
  data: { kind: 'string', describe: 'data for the BatchNorm statistics (the training data), e.g. mnist:train:5000', demand: true },
  'eval-data': { kind: 'string', describe: 'also score the average on this data' },
  loss: { ...DATA_OPTIONS.loss, describe: `loss for the scores ${DATA_OPTIONS.loss.describe.slice('loss '.length)}` },
  'batch-size': { kind: 'raw', describe: 'samples per batch of the BatchNorm pass', default: 128, requiresArg: true },
  // Execution only (not recorded): the BatchNorm pass's batches run on these threads.
  workers: ITEM_OPTIONS.workers,
} as const satisfies OptionTable;
