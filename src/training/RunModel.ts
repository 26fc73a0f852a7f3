/**
 * The model a training run trains, in the format its checkpoints are written in: the
 * weights staged for scoring and saving, the training network built from it, and its
 * checkpoint files. runTraining.ts is written against this; layersRunModel.ts keeps
 * TensorFlow.js layers models as they always were, onnxRunModel.ts writes ONNX graphs
 * back with updated initializers.
 */
import type { Dataset } from '../io/dataset.ts';
import type { FileContents } from '../io/atomicWrite.ts';
import type { SavedCheckpoint, Sidecar } from '../io/checkpoint.ts';
import type { NetworkLike } from '../formats/layers/layersNetwork.ts';
import type { Loss } from '../objective/losses.ts';
import type { TrainableNet } from './TrainableNet.ts';
import type { BatchNormWorkers } from './BatchNormWorkers.ts';
import type { TrainNetSource } from './trainNetSource.ts';

export interface RunModel {
  /** Identifies the initial architecture and weights (the run fingerprint's initialWeights). */
  initialSha(): string;
  /** Lines to tell the user before training (randomness that is not seeded, ops that act otherwise in training). */
  warnings(): string[];
  /** Trainable parameters (for the result document). */
  readonly trainableParamCount: number;
  /** Builds the network the Trainer trains (the output the loss reads), at the staged weights. */
  trainingNet(loss: Loss): Promise<TrainableNet>;
  /** How a worker thread builds the same training network (trainNetSource.ts; weights apart). */
  netSource(): TrainNetSource;
  /** Stages the training network's current weights, or flat weights (TrainableNet.flatWeights order). */
  stage(flat?: ArrayLike<number>): void;
  /** The staged weights as a network (scores, ensembles). */
  network(): NetworkLike;
  /**
   * Recomputes BatchNorm statistics of the staged weights on data; returns how many BN layers
   * / nodes there are. With `workers` (from batchNormWorkers, for the same data) the batches
   * run on worker threads; the statistics are the same bit for bit.
   */
  recomputeBatchNorm(data: Dataset, batchSize: number, workers?: BatchNormWorkers | null): Promise<number>;
  /** Worker threads for recomputeBatchNorm on `data` (they start at the first recompute; the caller closes them). */
  batchNormWorkers(data: Dataset, workers: number): BatchNormWorkers;
  /** Saves the staged weights as checkpoint directory `dir` (replacing one of the same name). */
  save(dir: string, sidecar: Sidecar): Promise<SavedCheckpoint>;
  /** The staged weights' checkpoint files in memory (the run state's checkpoint). */
  files(): Promise<Record<string, FileContents>>;
  /** TrainableNet.flatWeights-ordered weights of a checkpoint directory `files` wrote (resume). */
  readFlatWeights(dir: string): Promise<Float32Array>;
  /** Frees the training network (the model given to the RunModel stays the caller's). */
  dispose(): void;
}
