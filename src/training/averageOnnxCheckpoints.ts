/**
 * Post-hoc SWA of ONNX checkpoints (`sharpness swa A.onnx B.onnx ...`): the float64 mean of
 * every parameter and state tensor, rounded once to float32, then the BatchNorm running
 * statistics recomputed on data for the averaged parameters (recomputeOnnxBatchNorm.ts).
 * The first checkpoint's graph is the one written back (OnnxModel.serialize), so every
 * checkpoint must have the same graph: op counts, and initializer names and shapes.
 */
import { InputError, UsageError } from '../errors.ts';
import type { Dataset } from '../io/dataset.ts';
import type { OnnxModel, OnnxTensorInfo } from '../formats/onnx/OnnxModel.ts';
import { firstArchitectureDifference } from './modelWeights.ts';
import { recomputeOnnxBatchNorm, type OnnxBatchNormStats } from './recomputeOnnxBatchNorm.ts';
import { RunningAverage } from './swaAverage.ts';
import type { BatchMomentsRunner } from './BatchNormPass.ts';

export interface LabelledOnnx {
  /** How messages name it (its path). */
  label: string;
  model: OnnxModel;
}

const infos = (m: OnnxModel) => [
  ...m.params.map((p: OnnxTensorInfo) => ({ name: p.name, shape: p.shape, trainable: true })),
  ...m.state.map((p: OnnxTensorInfo) => ({ name: p.name, shape: p.shape, trainable: false })),
  ...m.constants.map((p: OnnxTensorInfo) => ({ name: p.name, shape: p.shape, trainable: false })),
];

/** Throws InputError naming the first difference when the graphs differ (op counts, initializers). */
export function assertSameOnnxGraph(models: readonly LabelledOnnx[]): void {
  const first = models[0]!;
  for (const o of models.slice(1)) {
    const d = firstArchitectureDifference(infos(first.model), infos(o.model), first.label, o.label);
    const ops = [...new Set([...Object.keys(first.model.opCounts), ...Object.keys(o.model.opCounts)])].sort();
    const op = ops.find((k) => first.model.opCounts[k] !== o.model.opCounts[k]);
    const why = d ?? (op !== undefined ? `${first.label} has ${first.model.opCounts[op] ?? 0} ${op} node(s) but ${o.label} has ${o.model.opCounts[op] ?? 0}` : null);
    if (why) throw new InputError(`swa: the checkpoints have different architectures: ${why}; only checkpoints of one architecture can be averaged`);
  }
}

/** The float64 mean of the models' parameters and state, each rounded once to float32. */
export function averageOnnxWeights(models: readonly LabelledOnnx[]): { params: Float32Array[]; state: Float32Array[] } {
  if (models.length === 0) throw new UsageError('swa: give at least one checkpoint to average');
  assertSameOnnxGraph(models);
  const m0 = models[0]!.model;
  const tensors = [...m0.params, ...m0.state];
  const size = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const avg = new RunningAverage(size);
  for (const { model } of models) {
    const flat = new Float32Array(size);
    let off = 0;
    for (const t of tensors) {
      const v = model.initialValue(t.name);
      flat.set(v, off);
      off += v.length;
    }
    avg.update(flat);
  }
  const mean = avg.mean();
  let off = 0;
  const parts = tensors.map((t) => {
    const n = t.shape.reduce((x, y) => x * y, 1);
    const v = Float32Array.from(mean.subarray(off, off + n));
    off += n;
    return v;
  });
  return { params: parts.slice(0, m0.params.length), state: parts.slice(m0.params.length) };
}

/** The average of `models` with its BatchNorm statistics recomputed on `data` (values for the first model's graph). */
export function averageOnnxCheckpoints(
  models: readonly LabelledOnnx[],
  data: Dataset,
  opts: { batchSize: number; workers?: BatchMomentsRunner | null | undefined },
): { params: Float32Array[]; state: Float32Array[]; bn: OnnxBatchNormStats[] } {
  const avg = averageOnnxWeights(models);
  const r = recomputeOnnxBatchNorm(models[0]!.model, avg.params, avg.state, data, opts);
  return { params: avg.params, state: r.state, bn: r.stats };
}
