/**
 * The BatchNorm pass (BatchNormPass.ts) of an ONNX graph: the weights are its parameters
 * then its state (running statistics), in `m.params` then `m.state` order; each batch runs
 * the graph in training mode, and every BatchNormalization node whose running statistics
 * are state reports its batch mean and unbiased variance (onBatchStats, float32 on the
 * engine), turned here into the batch's mean and sum of squared deviations in float64
 * (see recomputeOnnxBatchNorm.ts).
 */
import { tf, type Tensor } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import type { OnnxModel } from '../formats/onnx/OnnxModel.ts';
import type { BatchNormPass, NamedMoments } from './BatchNormPass.ts';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The flat weights of the pass: `params` then `state`. */
export function onnxPassWeights(params: readonly Float32Array[], state: readonly Float32Array[]): Float32Array {
  const out = new Float32Array([...params, ...state].reduce((a, v) => a + v.length, 0));
  let off = 0;
  for (const v of [...params, ...state]) {
    out.set(v, off);
    off += v.length;
  }
  return out;
}

export function onnxBatchNormPass(m: OnnxModel): BatchNormPass {
  const stateNames = new Set(m.state.map((s) => s.name));
  const infos = [...m.params, ...m.state];
  let tensors: Tensor[] = [];
  return {
    weightCount: infos.reduce((a, t) => a + sizeOf(t.shape), 0),
    setWeights(flat) {
      tf.dispose(tensors);
      let off = 0;
      tensors = infos.map((t) => {
        const n = sizeOf(t.shape);
        const v = tf.tensor(flat.subarray(off, off + n), t.shape, 'float32');
        off += n;
        return v;
      });
    },
    batch(data, start, size) {
      const per = data.sampleShape.reduce((a, b) => a * b, 1);
      const pT = tensors.slice(0, m.params.length);
      const sT = tensors.slice(m.params.length);
      const reports: { meanName: string; varName: string; count: number }[] = [];
      const kept = tf.tidy(() => {
        const out: Tensor[] = [];
        const x = tf.tensor(data.x.subarray(start * per, (start + size) * per), [size, ...data.sampleShape], 'float32');
        m.forward(x, pT, sT, {
          training: true,
          skipFinal: false,
          onBatchStats: (meanName, varName, mean, variance, info) => {
            if (!stateNames.has(meanName) || !stateNames.has(varName)) return;
            if (reports.some((r) => r.meanName === meanName || r.varName === varName)) {
              throw new InputError(`batchnorm: the running statistics '${meanName}' / '${varName}' of ${m.file} are used by more than one BatchNormalization run; their statistics are ambiguous`);
            }
            reports.push({ meanName, varName, count: info.count });
            out.push(mean, variance);
          },
        });
        return out;
      });
      try {
        return reports.map((r, k): NamedMoments => {
          const unbiased = kept[2 * k + 1]!.dataSync();
          return {
            layer: r.meanName,
            varName: r.varName,
            mean: Float64Array.from(kept[2 * k]!.dataSync()),
            m2: Float64Array.from(unbiased, (v) => v * (r.count - 1)),
            rows: r.count,
          };
        });
      } finally {
        tf.dispose(kept);
      }
    },
    dispose() {
      tf.dispose(tensors);
      tensors = [];
    },
  };
}
