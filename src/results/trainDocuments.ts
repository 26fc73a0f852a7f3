/**
 * The documents of a training run (training/ writes them):
 * - `sharpness/train@1`, the result (`result.json`): what was trained, where the solutions
 *   and the log are;
 * - `sharpness/train-log@1`, the training log: per epoch and per iteration, and the
 *   solutions' scores.
 */
import { dataRefSchema, resultDocumentSchema } from './resultHeader.ts';
import { anyJson, array, boolean, float, integer, literal, nullable, number, object, record, string, written } from './schema.ts';

export const TRAIN_TAG = 'sharpness/train@1';
export const TRAIN_LOG_TAG = 'sharpness/train-log@1';

const scores = object({ loss: float(), accuracy: nullable(float()) });
const solution = object(
  { train: scores, eval: nullable(scores) },
  { path: string(), sha256: string(), parameters: integer(0), members: integer(1) },
);
const epochRecord = object(
  {
    epoch: integer(0),
    trainLoss: float(),
    trainAccuracy: nullable(float()),
    evalLoss: nullable(float()),
    evalAccuracy: nullable(float()),
    /** LR of the epoch's last iteration. */
    lr: float(),
    seconds: number(),
  },
  {
    swa: object({ count: integer(0), evalLoss: nullable(float()), evalAccuracy: nullable(float()) }),
    ensemble: object({ members: integer(0), evalLoss: nullable(float()), evalAccuracy: nullable(float()) }),
  },
);

export const trainResultSchema = object({
  outDir: string(),
  method: string(),
  hyperparameters: written(record(anyJson())),
  seed: written(number()),
  epochs: written(integer(0)),
  iterations: written(integer(0)),
  resumedFrom: written(integer(0)),
  gradients: written(integer(0)),
  seconds: written(number()),
  solutions: record(solution),
  snapshots: array(string()),
  log: string(),
  lastEpoch: nullable(epochRecord),
});

export const trainDocumentSchema = resultDocumentSchema(TRAIN_TAG, 'train', trainResultSchema);

export const trainLogSchema = object(
  {
    schema: literal(TRAIN_LOG_TAG),
    tool: string(),
    method: string(),
    hyperparameters: record(anyJson()),
    seed: number(),
    model: string(),
    parent: nullable(string()),
    loss: string(),
    data: dataRefSchema,
    evalData: nullable(dataRefSchema),
    batchesPerEpoch: integer(1),
    /** What a rerun must match to resume: options (but --save-every), data, initial weights. */
    fingerprint: written(record(anyJson())),
    epochs: array(epochRecord),
    /** Per iteration, over the whole run. */
    iterations: object({ lr: array(float()), loss: array(float()) }),
    done: boolean(),
  },
  { solutions: record(solution) },
);

