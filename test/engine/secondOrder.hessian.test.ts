/**
 * Two tiny models: the full Hessian assembled column by column from HVPs equals the
 * finite-difference Hessian (columns of central differences of the gradient) and is
 * symmetric. Tolerances: max |H - H_fd| / max |H| < 5e-3 (eps 1e-3, float32);
 * max |H - H'| / max |H| < 1e-5.
 */
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { seedWeights, makeBatch, type LayerCase } from '../helpers/layerCases.ts';
import { problemFromModel, hessianFromHvps } from '../helpers/derivatives.ts';
import { derivativeBackends, useBackend } from '../helpers/engine.ts';

const L = tfl.layers;

const MLP: LayerCase = {
  name: 'MLP sigmoid/tanh/softmax',
  kinked: false,
  loss: 'ce',
  inputShape: [3],
  outputs: 3,
  build: () =>
    tfl.sequential({
      layers: [
        L.dense({ units: 4, inputShape: [3], activation: 'sigmoid' }),
        L.dense({ units: 3, activation: 'tanh' }),
        L.dense({ units: 3, activation: 'softmax' }),
        L.dense({ units: 3 }),
      ],
    }),
};

const CNN: LayerCase = {
  name: 'CNN BatchNorm + max-pool + residual Add',
  kinked: true,
  loss: 'ce',
  inputShape: [4, 4, 1],
  outputs: 2,
  build: () => {
    const inp = tfl.input({ shape: [4, 4, 1] });
    const c1 = L.conv2d({ filters: 2, kernelSize: 2, padding: 'same' }).apply(inp) as tfl.SymbolicTensor;
    const bn = L.batchNormalization({}).apply(c1) as tfl.SymbolicTensor;
    const act = L.activation({ activation: 'tanh' }).apply(bn) as tfl.SymbolicTensor;
    const c2 = L.conv2d({ filters: 2, kernelSize: 2, padding: 'same', useBias: false }).apply(act) as tfl.SymbolicTensor;
    const res = L.add().apply([act, c2]) as tfl.SymbolicTensor;
    const pool = L.maxPooling2d({ poolSize: 2 }).apply(res) as tfl.SymbolicTensor;
    const out = L.dense({ units: 2 }).apply(L.flatten().apply(pool)) as tfl.SymbolicTensor;
    return tfl.model({ inputs: inp, outputs: out });
  },
};

const BACKENDS = [...(await derivativeBackends(test)), 'wasm'] as const;

for (const c of [MLP, CNN]) {
  for (const backend of BACKENDS) {
    test.serial(`${c.name} (${backend}): full Hessian from HVPs equals the finite-difference Hessian and is symmetric`, async (t) => {
      await useBackend(backend);
      const model = c.build();
      seedWeights(model, createRng(7));
      const { x, y } = makeBatch(c, 5, 8);
      const p = problemFromModel(model, x, y, c.loss);
      const H = hessianFromHvps(p);
      const Hfd = hessianFromHvps(p, { eps: 1e-3 });
      const n = H.length;
      t.true(n >= 20, `model has ${n} parameters`);
      let scale = 0;
      let diff = 0;
      let asym = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          scale = Math.max(scale, Math.abs(H[i]![j]!));
          diff = Math.max(diff, Math.abs(H[i]![j]! - Hfd[i]![j]!));
          asym = Math.max(asym, Math.abs(H[i]![j]! - H[j]![i]!));
        }
      }
      t.true(scale > 0 && Number.isFinite(scale));
      t.true(diff / scale < 5e-3, `max |H - H_fd| / max|H| = ${diff / scale}`);
      t.true(asym / scale < 1e-5, `max asymmetry / max|H| = ${asym / scale}`);
      model.dispose();
      tf.dispose([x, y]);
    });
  }
}
