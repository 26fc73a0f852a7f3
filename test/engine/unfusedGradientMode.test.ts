/**
 * src/engine/unfusedGradientMode.ts: in gradient mode, tfjs-layers' linear Conv2D and Dense
 * run as plain ops (no customGrad computing the unused gradient w.r.t. the data), with the
 * same gradients and HVPs; outside gradient mode the fused kernels still run.
 */
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { useBackend } from '../helpers/engine.ts';
import { valueAndGrad, hessianVectorProduct } from '../../src/engine/autodiff.ts';
import { useUnfusedGradientMode, unfusedGradientModeInstalled } from '../../src/engine/unfusedGradientMode.ts';
import { crossEntropyFromLogits } from '../../src/objective/losses.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng, normalArray } from '../../src/engine/rng.ts';

function model(): tfl.LayersModel {
  const L = tfl.layers;
  const m = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, useBias: true }),
      L.batchNormalization({}),
      L.activation({ activation: 'relu' }),
      L.flatten(),
      L.dense({ units: 4 }),
    ],
  });
  const rng = createRng(5);
  for (const w of m.weights) {
    const values = normalArray(rng, w.shape.reduce((a, b) => a! * b!, 1) as number);
    // A variance must be positive.
    const t = tf.tensor(w.name.includes('variance') ? values.map((x) => x * x + 0.5) : values, w.shape as number[]);
    w.write(t);
    t.dispose();
  }
  return m;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test.serial(`${backend}: gradients and HVPs are the same with the split, which skips the data gradient`, async (t) => {
    await useBackend(backend);
    const m = model();
    const x = tf.tensor4d(normalArray(createRng(6), 5 * 8 * 8 * 2), [5, 8, 8, 2]);
    const y = tf.tensor1d([0, 1, 2, 3, 1], 'int32');
    const vars = m.trainableWeights.map((w) => w.read());
    const loss = () => crossEntropyFromLogits(m.apply(x, { training: false }) as tf.Tensor, y);
    const v = pv.randomNormal(vars.map((w) => w.shape), createRng(7));
    const results = [];
    for (const split of [false, true]) {
      useUnfusedGradientMode(split);
      const info = await tf.profile(() => {
        const g = tf.tidy(() => tf.engine().gradients(loss, vars, undefined, true).grads.map((gi) => gi!.clone()));
        pv.dispose(g);
      });
      const kernels = new Set(info.kernels.map((k) => k.name));
      t.is(kernels.has('Conv2DBackpropInput'), !split, `split ${split}: data gradient computed`);
      t.is(kernels.has('FusedConv2D'), !split, `split ${split}: fused conv in gradient mode`);
      const g = valueAndGrad(loss, vars).grads;
      const hv = hessianVectorProduct(loss, vars, v);
      t.is(unfusedGradientModeInstalled(), split);
      results.push({ g, hv });
    }
    useUnfusedGradientMode(true);
    t.true(unfusedGradientModeInstalled());
    const [a, b] = results as [{ g: tf.Tensor[]; hv: tf.Tensor[] }, { g: tf.Tensor[]; hv: tf.Tensor[] }];
    const rel = (p: tf.Tensor[], q: tf.Tensor[]) => pv.norm(pv.sub(p, q)) / pv.norm(q);
    t.true(rel(b.g, a.g) < 1e-5, `gradient differs by ${rel(b.g, a.g)}`);
    t.true(rel(b.hv, a.hv) < 1e-4, `HVP differs by ${rel(b.hv, a.hv)}`);
    // Outside gradient mode the fused kernel still runs.
    const fwd = await tf.profile(() => tf.dispose(m.apply(x, { training: false }) as tf.Tensor));
    t.true(fwd.kernels.some((k) => k.name === 'FusedConv2D'));
    for (const r of results) pv.dispose(r.g, r.hv);
    pv.dispose(v);
    tf.dispose([x, y]);
    m.dispose();
  });
}
