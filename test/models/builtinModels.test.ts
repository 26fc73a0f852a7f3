import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { BUILTIN_MODELS, buildBuiltinModel, isBuiltinModel } from '../../src/models/builtinModels.ts';
import { fans } from '../../src/models/initWeights.ts';
import { flatWeights } from '../../src/training/modelWeights.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

test('each built-in model adapts to the input shape and class count and ends in a softmax Dense', (t) => {
  for (const name of BUILTIN_MODELS) {
    for (const [shape, k] of [
      [[28, 28, 1], 10],
      [[16, 12], 3],
      [[8, 8, 3], 2],
    ] as [number[], number][]) {
      const m = buildBuiltinModel(name, shape, k, 0);
      t.deepEqual(m.inputs[0]!.shape.slice(1), shape, `${name} ${shape}`);
      t.deepEqual(m.outputs[0]!.shape, [null, k]);
      const last = m.layers[m.layers.length - 1]!;
      t.is(last.getClassName(), 'Dense');
      t.is((last.getConfig() as { activation: string }).activation, 'softmax');
      const y = tf.tidy(() => tf.sum(m.predict(tf.ones([2, ...shape])) as tf.Tensor, -1).dataSync());
      y.forEach((s) => t.true(Math.abs(s - 1) < 1e-5));
      m.dispose();
    }
  }
  t.true(isBuiltinModel('resnet'));
  t.false(isBuiltinModel('vgg'));
});

test('the resnet has BatchNorm and residual Adds; the cnn is conv-BN-relu-pool-dense; the mlp takes any shape', (t) => {
  const r = buildBuiltinModel('resnet', [28, 28, 1], 10, 0);
  const classes = r.layers.map((l) => l.getClassName());
  t.is(classes.filter((c) => c === 'Add').length, 2);
  t.is(classes.filter((c) => c === 'BatchNormalization').length, 6);
  t.true(r.countParams() < 20000);
  r.dispose();
  const c = buildBuiltinModel('cnn', [28, 28, 1], 10, 0);
  t.deepEqual(c.layers.map((l) => l.getClassName()), ['Conv2D', 'BatchNormalization', 'Activation', 'MaxPooling2D', 'Flatten', 'Dense']);
  c.dispose();
  const m = buildBuiltinModel('mlp', [5], 3, 0);
  t.is(m.countParams(), 5 * 128 + 128 + 128 * 3 + 3);
  m.dispose();
  t.throws(() => buildBuiltinModel('cnn', [784], 10, 0), { message: /--model cnn needs samples of rank 2 to 3/ });
});

test('weights are seeded: same seed same weights on every call, another seed other weights; fixed layer names', (t) => {
  const a = buildBuiltinModel('cnn', [28, 28, 1], 10, 5);
  const b = buildBuiltinModel('cnn', [28, 28, 1], 10, 5);
  const c = buildBuiltinModel('cnn', [28, 28, 1], 10, 6);
  t.deepEqual(flatWeights(a), flatWeights(b));
  t.notDeepEqual(flatWeights(a), flatWeights(c));
  t.deepEqual(a.weights.map((w) => w.originalName), b.weights.map((w) => w.originalName));
  t.deepEqual(a.weights.map((w) => w.originalName), ['conv1/kernel', 'bn1/gamma', 'bn1/beta', 'logits/kernel', 'logits/bias', 'bn1/moving_mean', 'bn1/moving_variance']);
  // He-uniform conv kernel: |w| <= sqrt(6 / fan_in); BN gamma 1, beta 0.
  const k = a.getLayer('conv1').getWeights()[0]!.dataSync();
  const limit = Math.sqrt(6 / fans([3, 3, 1, 8]).fanIn);
  t.true(Array.from(k).every((x) => Math.abs(x) <= limit));
  t.deepEqual(Array.from(a.getLayer('bn1').getWeights()[0]!.dataSync()), new Array(8).fill(1));
  [a, b, c].forEach((m) => m.dispose());
});
