/**
 * The folded inference pass (src/formats/layers/foldedInference.ts) against the layers'
 * own forward pass, computed independently by tfjs-layers: Conv2D -> BatchNormalization
 * (-> ReLU) folded into one convolution must give the same outputs up to float32 rounding,
 * for conv with and without bias, BN with and without center/scale, 'same' padding,
 * strides, and a BN not followed by ReLU; it must follow the variables when the point moves;
 * and the objective's loss (which uses it) must equal the gradient path's value.
 */
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { buildAnalysisModel } from '../../src/formats/layers/analysisModel.ts';
import { foldedInference } from '../../src/formats/layers/foldedInference.ts';
import { layersNetwork } from '../../src/formats/layers/layersNetwork.ts';
import { cnn } from '../../src/models/cnn.ts';
import { resnet } from '../../src/models/resnet.ts';
import { mlp } from '../../src/models/mlp.ts';
import { createModelObjective } from '../../src/objective/modelObjective.ts';
import { Loss } from '../../src/objective/losses.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('wasm');
});

/** Random running statistics and affine weights, so the fold has something to fold. */
function randomizeBatchNorm(model: tfl.LayersModel, seed: number): void {
  const rng = createRng(seed);
  for (const l of model.layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    l.setWeights(
      l.weights.map((w) => {
        const positive = /variance|gamma/.test(w.originalName);
        const values = Float32Array.from({ length: (w.shape as number[]).reduce((a, b) => a * b, 1) }, () => (positive ? 0.5 + 1.5 * rng.uniform() : rng.normal()));
        return tf.tensor(values, w.shape as number[]);
      }),
    );
  }
}

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < x.length; i++) {
    scale = Math.max(scale, Math.abs(y[i]!));
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

function convBnModel(opts: { bias: boolean; center: boolean; scale: boolean; padding: 'same' | 'valid'; strides: number; relu: boolean }): tfl.LayersModel {
  const L = tfl.layers;
  const layers: tfl.layers.Layer[] = [
    L.conv2d({ inputShape: [9, 9, 3], filters: 5, kernelSize: 3, strides: opts.strides, padding: opts.padding, useBias: opts.bias, biasInitializer: 'randomNormal', name: 'c1' }),
    L.batchNormalization({ center: opts.center, scale: opts.scale, epsilon: 1e-3, name: 'b1' }),
  ];
  if (opts.relu) layers.push(L.activation({ activation: 'relu', name: 'r1' }));
  layers.push(L.conv2d({ filters: 4, kernelSize: 2, useBias: true, name: 'c2' }), L.batchNormalization({ name: 'b2' }), L.flatten({ name: 'f' }), L.dense({ units: 3, name: 'd' }));
  return tfl.sequential({ layers });
}

const cases = [
  { bias: false, center: true, scale: true, padding: 'valid', strides: 1, relu: true },
  { bias: true, center: true, scale: true, padding: 'same', strides: 2, relu: true },
  { bias: true, center: false, scale: false, padding: 'same', strides: 1, relu: false },
  { bias: false, center: true, scale: false, padding: 'valid', strides: 2, relu: true },
] as const;

for (const [i, c] of cases.entries()) {
  test(`folded Conv2D -> BN${c.relu ? ' -> ReLU' : ''} equals the layers' forward (bias ${c.bias}, center ${c.center}, scale ${c.scale}, ${c.padding}, stride ${c.strides})`, async (t) => {
    const model = convBnModel({ ...c });
    randomizeBatchNorm(model, 10 + i);
    const { model: a } = await buildAnalysisModel(model, null);
    const infer = foldedInference(a);
    t.truthy(infer, 'the model has a Conv2D -> BatchNormalization pair');
    const x = tf.randomNormal([6, 9, 9, 3], 0, 1, 'float32', 5 + i);
    const want = a.apply(x, { training: false }) as tf.Tensor;
    const got = tf.tidy(() => infer!(x));
    t.deepEqual(got.shape, want.shape);
    const rel = maxRelDiff(got, want);
    t.true(rel < 2e-6, `max |folded - layers| / max |layers| = ${rel}`);
    // and it is not the same computation by accident: the folded pass really runs
    t.true(rel > 0 || c.center === false, 'folding changes the rounding somewhere');
    tf.dispose([x, want, got]);
    a.dispose();
    model.dispose();
  });
}

test('folded inference follows the variables when the point moves', async (t) => {
  const model = cnn([8, 8, 1], 3, 4);
  randomizeBatchNorm(model, 3);
  const net = await layersNetwork(model).analysisNet(null);
  t.truthy(net.infer);
  const x = tf.randomNormal([5, 8, 8, 1], 0, 1, 'float32', 9);
  const old = net.vars.map((v) => v.clone());
  net.vars.forEach((v) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.3, 'float32', 2))));
  const want = net.apply(x, false);
  const got = tf.tidy(() => net.infer!(x));
  t.true(maxRelDiff(got, want) < 2e-6);
  net.vars.forEach((v, i) => v.assign(old[i]!));
  const back = tf.tidy(() => net.infer!(x));
  t.true(maxRelDiff(back, net.apply(x, false)) < 2e-6);
  t.true(maxRelDiff(back, got) > 1e-3, 'the moved point gives other outputs');
  tf.dispose([x, want, got, back, ...old]);
  net.dispose();
  model.dispose();
});

test('nothing to fold: an MLP has no folded pass', async (t) => {
  const m = mlp([4], 3, 1, { hidden: 5 });
  const { model: a } = await buildAnalysisModel(m, null);
  t.is(foldedInference(a), null);
  a.dispose();
  m.dispose();
});

test('functional models: the built-in ResNet (residual adds, projections) folds and equals the layers forward', async (t) => {
  const model = resnet([8, 8, 1], 3, 2);
  randomizeBatchNorm(model, 6);
  const { model: a } = await buildAnalysisModel(model, 'softmax');
  const infer = foldedInference(a);
  t.truthy(infer);
  const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 3);
  const want = a.apply(x, { training: false }) as tf.Tensor;
  const got = tf.tidy(() => infer!(x));
  const rel = maxRelDiff(got, want);
  t.true(rel < 2e-6 && rel > 0, `max |folded - layers| / max |layers| = ${rel}`);
  tf.dispose([x, want, got]);
  a.dispose();
  model.dispose();
});

test('a convolution whose output another layer also reads is not folded (and the rest still is)', async (t) => {
  const L = tfl.layers;
  const input = tfl.input({ shape: [6, 6, 2] });
  const c = L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'shared_conv' }).apply(input) as tfl.SymbolicTensor;
  const b = L.batchNormalization({ name: 'bn_a' }).apply(c) as tfl.SymbolicTensor;
  const sum = L.add().apply([b, c]) as tfl.SymbolicTensor; // c read twice
  const c2 = L.conv2d({ filters: 3, kernelSize: 3, name: 'conv_b' }).apply(sum) as tfl.SymbolicTensor;
  const out = L.flatten().apply(L.activation({ activation: 'relu' }).apply(L.batchNormalization({ name: 'bn_b' }).apply(c2))) as tfl.SymbolicTensor;
  const f = tfl.model({ inputs: input, outputs: out });
  randomizeBatchNorm(f, 12);
  const infer = foldedInference(f);
  t.truthy(infer, 'conv_b -> bn_b -> relu folds');
  const x = tf.randomNormal([3, 6, 6, 2], 0, 1, 'float32', 8);
  const want = f.apply(x, { training: false }) as tf.Tensor;
  const got = tf.tidy(() => infer!(x));
  t.true(maxRelDiff(got, want) < 2e-6);
  tf.dispose([x, want, got]);
  // with the shared convolution only, nothing folds
  const only = tfl.model({ inputs: input, outputs: L.flatten().apply(sum) as tfl.SymbolicTensor });
  t.is(foldedInference(only), null);
  f.dispose();
});

test("the objective's loss (folded) equals its gradient path's loss value (layers forward) on a BN CNN", async (t) => {
  const model = cnn([8, 8, 1], 3, 7);
  randomizeBatchNorm(model, 8);
  const rng = createRng(1);
  const n = 40;
  const data = makeDataset(
    'synthetic',
    [8, 8, 1],
    Float32Array.from({ length: n * 64 }, () => rng.normal()),
    { kind: 'classes', labels: Int32Array.from({ length: n }, (_, i) => i % 3), numClasses: 3 },
  );
  const o = await createModelObjective(model, data, { loss: Loss.ce, batchSize: 16 });
  const loss = o.loss(o.params);
  const { value, grad } = o.grad(o.params);
  tf.dispose(grad);
  t.true(Math.abs(loss - value) <= 1e-6 * Math.abs(value), `loss ${loss} vs gradient path ${value}`);
  o.dispose();
  model.dispose();
});
