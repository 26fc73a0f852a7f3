/**
 * An ONNX graph as a TrainableNet. Parameters and BatchNorm running statistics are
 * variables; the training forward pass runs the graph in training mode (batch statistics)
 * and records, per BatchNormalization node, the batch mean and the unbiased batch variance
 * (onBatchStats). endStep applies them as PyTorch does in training, with the node's ONNX
 * `momentum` attribute m (default 0.9; PyTorch's momentum 0.1 exports as 0.9):
 *
 *   running_mean <- m running_mean + (1 - m) batch_mean
 *   running_var  <- m running_var  + (1 - m) batch_var_unbiased
 *
 * (ONNX's own training-mode formula uses the population batch variance; PyTorch, which
 * the models come from, folds in the unbiased one.) Updates are deferred to endStep so
 * that they are never made inside a gradient; saveState's restore drops those a pass
 * recorded after it (SAM's second pass). Dropout is the identity (no random masks). All
 * weights in order: parameters, then state (OnnxModel.params, OnnxModel.state).
 */
import { tf, type Tensor, type Variable } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import type { Fold } from '../formats/Network.ts';
import { unitsOf } from '../formats/Network.ts';
import type { OnnxModel } from '../formats/onnx/OnnxModel.ts';
import { foldsFinal } from '../formats/onnx/onnxNetwork.ts';
import type { TrainableNet } from './TrainableNet.ts';

export interface OnnxTrainableNet extends TrainableNet {
  /** Running statistics (OnnxModel.state order). */
  readonly state: readonly Variable[];
  /** Current values: parameters and state, as the graph's initializers hold them. */
  values(): { params: Float32Array[]; state: Float32Array[] };
  dispose(): void;
}

interface PendingUpdate {
  mean: number;
  variance: number;
  batchMean: Tensor;
  batchVariance: Tensor;
  momentum: number;
}

/** `init`: the parameter and state values to start from (default: the graph's initializers). */
export function onnxTrainableNet(m: OnnxModel, fold: Fold, init?: { params: readonly Float32Array[]; state: readonly Float32Array[] }): OnnxTrainableNet {
  const p0 = init?.params ?? m.params.map((p) => m.initialValue(p.name));
  const s0 = init?.state ?? m.state.map((s) => m.initialValue(s.name));
  const vars = m.params.map((p, i) => tf.tidy(() => tf.variable(tf.tensor(p0[i]!, p.shape, 'float32'), true, undefined, 'float32')));
  const state = m.state.map((s, i) => tf.tidy(() => tf.variable(tf.tensor(s0[i]!, s.shape, 'float32'), false, undefined, 'float32')));
  const stateIndex = new Map(m.state.map((s, i) => [s.name, i]));
  const skipFinal = foldsFinal(m, fold);
  const sizes = [...m.params, ...m.state].map((t) => unitsOf(t.shape));
  const weightCount = sizes.reduce((a, b) => a + b, 0);
  const all = (): Variable[] => [...vars, ...state];
  let pending: PendingUpdate[] = [];
  const drop = (from: number) => {
    for (const u of pending.splice(from)) tf.dispose([u.batchMean, u.batchVariance]);
  };
  return {
    vars,
    state,
    outputUnits: unitsOf(m.outputShape.slice(1)),
    weightCount,
    batchNorm: (m.opCounts['BatchNormalization'] ?? 0) > 0,
    seedStep: () => {},
    trainingOutput: (x: Tensor) =>
      m.forward(x, vars, state, {
        training: true,
        skipFinal,
        onBatchStats: (meanName, varName, mean, variance, info) => {
          const mi = stateIndex.get(meanName);
          const vi = stateIndex.get(varName);
          if (mi === undefined || vi === undefined) return;
          pending.push({ mean: mi, variance: vi, batchMean: tf.keep(mean.clone()), batchVariance: tf.keep(variance.clone()), momentum: info.momentum });
        },
      }),
    saveState: () => {
      const mark = pending.length;
      return () => drop(mark);
    },
    endStep: () => {
      const updates = pending;
      pending = [];
      try {
        for (const u of updates) {
          tf.tidy(() => {
            state[u.mean]!.assign(tf.add(tf.mul(state[u.mean]!, u.momentum), tf.mul(u.batchMean, 1 - u.momentum)));
            state[u.variance]!.assign(tf.add(tf.mul(state[u.variance]!, u.momentum), tf.mul(u.batchVariance, 1 - u.momentum)));
          });
        }
      } finally {
        for (const u of updates) tf.dispose([u.batchMean, u.batchVariance]);
      }
    },
    flatWeights: () => {
      const out = new Float32Array(weightCount);
      let off = 0;
      for (const v of all()) {
        const d = v.dataSync() as Float32Array;
        out.set(d, off);
        off += d.length;
      }
      return out;
    },
    setFlatWeights: (values: ArrayLike<number>) => {
      if (values.length !== weightCount) throw new InputError(`train: expected ${weightCount} values for the ONNX model's parameters and state, got ${values.length}`);
      const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
      let off = 0;
      all().forEach((v, i) => {
        const n = sizes[i]!;
        tf.tidy(() => v.assign(tf.tensor(f32.subarray(off, off + n), v.shape, 'float32')));
        off += n;
      });
    },
    values: () => ({ params: vars.map((v) => Float32Array.from(v.dataSync())), state: state.map((v) => Float32Array.from(v.dataSync())) }),
    dispose: () => {
      drop(0);
      tf.dispose(all());
    },
  };
}
