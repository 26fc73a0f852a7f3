/**
 * An ONNX graph as a RunModel: the staged weights are float32 arrays (parameters and
 * state, the graph's initializer names); checkpoints are DIR/model.onnx, the graph
 * serialized with those values as its initializers (everything else unchanged), plus
 * DIR/sharpness.json.
 */
import { InputError } from '../errors.ts';
import { saveOnnxCheckpoint, ONNX_MODEL_FILE } from '../io/saveOnnxCheckpoint.ts';
import { loadOnnx } from '../formats/onnx/loadOnnx.ts';
import type { OnnxModel } from '../formats/onnx/OnnxModel.ts';
import { onnxNetwork } from '../formats/onnx/onnxNetwork.ts';
import { foldFor } from '../objective/losses.ts';
import { onnxTrainableNet, type OnnxTrainableNet } from './onnxTrainableNet.ts';
import { recomputeOnnxBatchNorm } from './recomputeOnnxBatchNorm.ts';
import { BatchNormWorkers } from './BatchNormWorkers.ts';
import type { RunModel } from './RunModel.ts';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The graph's parameters then state, from flat values. */
function split(m: OnnxModel, flat: ArrayLike<number>): { params: Float32Array[]; state: Float32Array[] } {
  const infos = [...m.params, ...m.state];
  const total = infos.reduce((a, t) => a + sizeOf(t.shape), 0);
  if (flat.length !== total) throw new InputError(`train: expected ${total} values for the parameters and state of ${m.file}, got ${flat.length}`);
  const f32 = flat instanceof Float32Array ? flat : Float32Array.from(flat);
  let off = 0;
  const parts = infos.map((t) => {
    const n = sizeOf(t.shape);
    const v = f32.slice(off, off + n);
    off += n;
    return v;
  });
  return { params: parts.slice(0, m.params.length), state: parts.slice(m.params.length) };
}

/** `m` holds the initial weights (the caller disposes it). */
export function onnxRunModel(m: OnnxModel): RunModel {
  let staged = { params: m.params.map((p) => m.initialValue(p.name)), state: m.state.map((s) => m.initialValue(s.name)) };
  let net: OnnxTrainableNet | null = null;
  const valueOf = (name: string): Float32Array => {
    const i = m.params.findIndex((p) => p.name === name);
    if (i >= 0) return staged.params[i]!;
    const j = m.state.findIndex((s) => s.name === name);
    if (j >= 0) return staged.state[j]!;
    throw new InputError(`onnx: '${name}' is not a parameter or state tensor of ${m.file}`);
  };
  const bytes = () => m.serialize(staged.params, staged.state);
  return {
    initialSha: () => m.sha256,
    warnings: () => {
      const n = m.opCounts['Dropout'] ?? 0;
      return n > 0 ? [`train: note: the ${n} Dropout node(s) of ${m.file} are the identity in training (no random masks)`] : [];
    },
    trainableParamCount: m.params.reduce((a, p) => a + sizeOf(p.shape), 0),
    async trainingNet(loss) {
      net?.dispose();
      net = onnxTrainableNet(m, foldFor(loss), staged);
      return net;
    },
    netSource: () => ({ format: 'onnx', bytes: bytes(), file: m.file }),
    stage(flat) {
      staged = flat ? split(m, flat) : net!.values();
    },
    network: () => onnxNetwork(m, valueOf),
    async recomputeBatchNorm(data, batchSize, workers) {
      const r = recomputeOnnxBatchNorm(m, staged.params, staged.state, data, { batchSize, workers });
      staged = { params: staged.params, state: r.state };
      return r.stats.length;
    },
    batchNormWorkers: (data, workers) => BatchNormWorkers.forOnnx(m, data, workers),
    save: (dir, sidecar) =>
      saveOnnxCheckpoint(dir, bytes(), sidecar, {
        overwrite: true,
        weights: [...m.params.map((p, i) => ({ name: p.name, values: staged.params[i]! })), ...m.state.map((s, i) => ({ name: s.name, values: staged.state[i]! }))],
      }),
    files: async () => ({ [ONNX_MODEL_FILE]: bytes() }),
    async readFlatWeights(dir) {
      const saved = await loadOnnx(dir);
      try {
        const infos = [...saved.params, ...saved.state];
        const want = [...m.params, ...m.state];
        if (infos.length !== want.length || infos.some((t, i) => t.name !== want[i]!.name || sizeOf(t.shape) !== sizeOf(want[i]!.shape))) {
          throw new InputError(`train: the saved state in ${dir} is not a state of ${m.file} (other initializers); remove the run directory to start over`);
        }
        const out = new Float32Array(infos.reduce((a, t) => a + sizeOf(t.shape), 0));
        let off = 0;
        for (const t of infos) {
          const v = saved.initialValue(t.name);
          out.set(v, off);
          off += v.length;
        }
        return out;
      } finally {
        saved.dispose();
      }
    },
    dispose() {
      net?.dispose();
      net = null;
    },
  };
}
