/**
 * The options of `sharpness train`, once. Their defaults are the library's (TRAIN_DEFAULTS),
 * applied by resolveTrainConfig when an option is absent (libraryDefault: shown in --help,
 * not set by yargs), because an absent option means something: a method's options are
 * refused for another method, --lr-final follows --swa-lr for swa. The numeric options have
 * no yargs type, so `--lr abc` reaches resolveTrainConfig as typed and its message shows it.
 */
import { METHODS, TRAIN_DEFAULTS } from '../../training/trainConfig.ts';
import { SCHEDULES } from '../../training/schedules.ts';
import { FORMULA_VARIABLES } from '../../training/lrFormula.ts';
import { BUILTIN_MODELS } from '../../models/builtinModels.ts';
import { DATA_OPTIONS } from '../analysisOptions.ts';
import { ITEM_OPTIONS } from '../itemOptions.ts';
import type { OptionTable } from './OptionTable.ts';

const MODEL_GROUP = 'Model and data:';
const OPT_GROUP = 'Optimisation:';
const METHOD_GROUP = 'Methods:';

export const TRAIN_OPTIONS = {
  model: { kind: 'string', describe: `architecture: ${BUILTIN_MODELS.join(', ')}, or a model.json (its topology, seeded weights)`, group: MODEL_GROUP },
  init: {
    kind: 'string',
    describe: "start from this checkpoint's weights (its architecture unless --model is given; an .onnx graph trains as itself)",
    group: MODEL_GROUP,
  },
  data: { kind: 'string', describe: 'training data: mnist:train[:N], fashion-mnist:train[:N], npy:X.npy,Y.npy, synthetic:...', demand: true, group: MODEL_GROUP },
  'eval-data': { kind: 'string', describe: 'evaluated after every epoch, e.g. mnist:test:1000', group: MODEL_GROUP },
  loss: { ...DATA_OPTIONS.loss, group: MODEL_GROUP },
  epochs: { kind: 'raw', describe: 'epochs', libraryDefault: TRAIN_DEFAULTS.epochs, group: OPT_GROUP },
  'batch-size': { kind: 'raw', describe: 'minibatch size', libraryDefault: TRAIN_DEFAULTS.batchSize, group: OPT_GROUP },
  lr: { kind: 'raw', describe: 'learning rate (a1 for swa / fge)', libraryDefault: TRAIN_DEFAULTS.lr, group: OPT_GROUP },
  momentum: { kind: 'raw', describe: 'heavy-ball momentum in [0, 1)', libraryDefault: TRAIN_DEFAULTS.momentum, group: OPT_GROUP },
  l2: { kind: 'raw', describe: 'adds l2 * ||w||^2 to the loss', libraryDefault: TRAIN_DEFAULTS.l2, group: OPT_GROUP },
  schedule: {
    kind: 'string',
    alias: 'lr-schedule',
    describe: `base LR schedule: ${SCHEDULES.join(', ')}, or a formula in ${FORMULA_VARIABLES.join(', ')}, e.g. "lr * 0.5 ^ floor((epoch - 1) / 3)"`,
    libraryDefault: TRAIN_DEFAULTS.schedule,
    group: OPT_GROUP,
  },
  'lr-final': { kind: 'raw', describe: 'cosine / linear: the LR at the end (default 0; swa: --swa-lr, reached at --swa-start)', group: OPT_GROUP },
  'lr-milestones': { kind: 'raw', describe: 'step: epochs after which the LR is multiplied by --lr-gamma, e.g. 5,8 (default 50% and 75% of --epochs)', group: OPT_GROUP },
  'lr-gamma': { kind: 'raw', describe: 'step: the factor', libraryDefault: TRAIN_DEFAULTS.lrGamma, group: OPT_GROUP },
  'save-every': { kind: 'raw', describe: 'also save DIR/epoch-K every K epochs (0: never)', libraryDefault: TRAIN_DEFAULTS.saveEvery, group: OPT_GROUP },
  'grad-chunk': {
    kind: 'raw',
    describe: "split each minibatch's gradient into chunks of at most G samples, summed in order (a hyperparameter; needs --grad-chunk >= --batch-size with BatchNorm)",
    group: OPT_GROUP,
  },
  // Execution only (not in the run's fingerprint or result): --grad-chunk's chunks and swa's BatchNorm recomputes run on these threads.
  workers: { ...ITEM_OPTIONS.workers, describe: `${ITEM_OPTIONS.workers.describe}: --grad-chunk's chunks and swa's BatchNorm recomputes; the weights do not depend on it`, group: OPT_GROUP },
  method: { kind: 'string', describe: 'training method', choices: METHODS, libraryDefault: TRAIN_DEFAULTS.method, group: METHOD_GROUP },
  rho: { kind: 'raw', describe: 'sam: radius of the neighbourhood', libraryDefault: TRAIN_DEFAULTS.rho, group: METHOD_GROUP },
  p: { kind: 'raw', describe: 'sam: the norm of the neighbourhood, a number > 1 or inf', libraryDefault: TRAIN_DEFAULTS.p, group: METHOD_GROUP },
  adaptive: { kind: 'boolean', describe: 'sam: adaptive SAM (ASAM), scaled by |w|', group: METHOD_GROUP },
  'asam-eta': { kind: 'raw', describe: 'sam --adaptive: T_w = |w| + eta', libraryDefault: TRAIN_DEFAULTS.asamEta, group: METHOD_GROUP },
  'swa-start': { kind: 'raw', describe: 'swa / fge: epoch after which the cyclic LR and averaging / snapshots start', group: METHOD_GROUP },
  'swa-lr': { kind: 'raw', describe: 'swa / fge: a2, the LR at the end of each cycle', group: METHOD_GROUP },
  cycle: {
    kind: 'raw',
    describe: `swa / fge: iterations per cycle (fge: required; swa default ${TRAIN_DEFAULTS.cycle}: constant LR a2)`,
    group: METHOD_GROUP,
  },
} as const satisfies OptionTable;
