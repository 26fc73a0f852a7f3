import * as path from 'node:path';
import { InputError } from '../../errors.ts';
import { readSidecar } from '../../io/sidecar.ts';
import type { OnnxCheckpoint } from '../Checkpoint.ts';
import { CheckpointFormat } from '../Network.ts';
import { loadOnnx } from './loadOnnx.ts';
import type { OnnxModel } from './OnnxModel.ts';
import { onnxNetwork } from './onnxNetwork.ts';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** An .onnx file (or a directory holding one, and maybe a sharpness.json sidecar) as a Checkpoint: parameters, state and the network. */
export async function loadOnnxCheckpoint(pathArg: string): Promise<OnnxCheckpoint<OnnxModel>> {
  const m = await loadOnnx(pathArg);
  if (m.params.length === 0) {
    m.dispose();
    throw new InputError(`checkpoint: ${pathArg} has no trainable parameters (no float initializer feeds a weight slot); there is nothing to measure`);
  }
  let sidecar;
  try {
    // A checkpoint directory (DIR/model.onnx) may carry DIR/sharpness.json, as layers checkpoints do.
    sidecar = m.file !== pathArg ? await readSidecar(path.dirname(m.file)) : undefined;
  } catch (e) {
    m.dispose();
    throw e;
  }
  const weights = [
    ...m.params.map((p) => ({ name: p.name, shape: [...p.shape], dtype: 'float32', trainable: true })),
    ...m.state.map((p) => ({ name: p.name, shape: [...p.shape], dtype: 'float32', trainable: false })),
  ];
  return {
    dir: pathArg,
    format: CheckpointFormat.onnx,
    onnx: m,
    network: onnxNetwork(m),
    sha256: m.sha256,
    paramCount: weights.reduce((a, w) => a + size(w.shape), 0),
    trainableParamCount: m.params.reduce((a, p) => a + size(p.shape), 0),
    weights,
    ...(sidecar !== undefined ? { sidecar } : {}),
    dispose: () => m.dispose(),
  };
}
