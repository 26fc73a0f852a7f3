/**
 * Dinh et al. (2017): for a ReLU network, multiplying one layer's weights and bias by a > 0
 * and the next layer's kernel by 1/a leaves the function, hence the loss, unchanged, yet
 * changes plain eps-ball sharpness. Adaptive sharpness (the set scaled elementwise by |w_i|)
 * is invariant: with e = |w| z, the reparametrised problem maps onto the original one exactly,
 * so every start, step and random point corresponds (a = 4, a power of two, keeps float32
 * arithmetic nearly exact; tolerance 1e-5 relative).
 */
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { createModelObjective } from '../../src/objective/modelObjective.ts';
import { Loss } from '../../src/objective/losses.ts';
import type { Objective } from '../../src/objective/Objective.ts';
import { ballSharpness, type BallOptions } from '../../src/sharpness/ballSharpness.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

function mlp(): tfl.LayersModel {
  return tfl.sequential({
    layers: [tfl.layers.dense({ units: 6, inputShape: [4], activation: 'relu' }), tfl.layers.dense({ units: 3 })],
  });
}

async function objectives(a: number): Promise<{ base: Objective; scaled: Objective; dispose: () => void }> {
  const rng = createRng(7);
  const n = 48;
  const x = new Float32Array(n * 4);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const labels = Int32Array.from({ length: n }, () => rng.int(0, 2));
  const data = makeDataset('synthetic:test', [4], x, { kind: 'classes', labels, numClasses: 3 });
  const m1 = mlp();
  seedWeights(m1, createRng(3));
  const m2 = mlp();
  const [k1, b1, k2, b2] = m1.getWeights();
  const scaledWeights = tf.tidy(() => [tf.mul(k1!, a), tf.mul(b1!, a), tf.div(k2!, a), b2!.clone()]);
  m2.setWeights(scaledWeights);
  tf.dispose(scaledWeights);
  const base = await createModelObjective(m1, data, { loss: Loss.ce });
  const scaled = await createModelObjective(m2, data, { loss: Loss.ce });
  return {
    base,
    scaled,
    dispose: () => {
      base.dispose();
      scaled.dispose();
      m1.dispose();
      m2.dispose();
    },
  };
}

test('rescaling a ReLU layer by a and the next by 1/a: same loss, different plain l2 sharpness, same adaptive sharpness', async (t) => {
  const { base, scaled, dispose } = await objectives(4);
  const l1 = base.loss(base.params);
  const l2 = scaled.loss(scaled.params);
  t.true(Math.abs(l1 - l2) <= 1e-6 * l1, `the function is unchanged: ${l1} vs ${l2}`);

  const radii = [0.05, 0.2];
  const common: Omit<BallOptions, 'norm'> = { radii, steps: 10, restarts: 1, samples: 16, seed: 3 };
  const plain = [ballSharpness(base, { ...common, norm: 'l2' }), ballSharpness(scaled, { ...common, norm: 'l2' })];
  for (let k = 0; k < radii.length; k++) {
    const [s1, s2] = [plain[0]!.points[k]!.sharpness, plain[1]!.points[k]!.sharpness];
    t.true(s1 > 0 && s2 > 0);
    t.log(`plain r=${radii[k]}: ${s1} vs ${s2}`);
    t.true(Math.abs(s1 - s2) > 0.1 * Math.max(s1, s2), `plain l2 sharpness should change: ${s1} vs ${s2}`);
  }
  for (const norm of ['l2', 'linf'] as const) {
    const [r1, r2] = [ballSharpness(base, { ...common, norm, adaptive: true }), ballSharpness(scaled, { ...common, norm, adaptive: true })];
    for (let k = 0; k < radii.length; k++) {
      const [p1, p2] = [r1.points[k]!, r2.points[k]!];
      t.log(`adaptive ${norm} r=${radii[k]}: ${p1.sharpness} vs ${p2.sharpness}`);
      t.true(p1.sharpness > 0);
      t.true(Math.abs(p1.sharpness - p2.sharpness) <= 1e-5 * p1.sharpness, `adaptive ${norm} r=${radii[k]}: ${p1.sharpness} vs ${p2.sharpness}`);
      t.true(Math.abs(p1.averageLoss! - p2.averageLoss!) <= 1e-5 * p1.averageLoss!, `adaptive ${norm} average: ${p1.averageLoss} vs ${p2.averageLoss}`);
    }
  }
  dispose();
});
