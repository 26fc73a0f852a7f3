/**
 * ball and volume on a real model objective (a small CNN with BatchNorm, via
 * createModelObjective): filter-normalised volume directions skip ignored blocks and count
 * only the moved parameters; per-layer groups follow the weight names; tensor memory is
 * unchanged after each measure; same seed, same numbers.
 */
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { createModelObjective } from '../../src/objective/modelObjective.ts';
import { Loss } from '../../src/objective/losses.ts';
import type { Objective } from '../../src/objective/Objective.ts';
import { ballSharpness } from '../../src/sharpness/ballSharpness.ts';
import { flatVolume } from '../../src/sharpness/flatVolume.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { useBackend } from '../helpers/engine.ts';

let objective: Objective;
let model: tfl.LayersModel;

test.before(async () => {
  await useBackend('cpu');
  const L = tfl.layers;
  model = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [5, 5, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
      L.batchNormalization({}),
      L.flatten(),
      L.dense({ units: 3 }),
    ],
  });
  seedWeights(model, createRng(2));
  const rng = createRng(4);
  const n = 40;
  const x = Float32Array.from({ length: n * 25 }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(0, 2));
  objective = await createModelObjective(model, makeDataset('synthetic:test', [5, 5, 1], x, { kind: 'classes', labels, numClasses: 3 }), {
    loss: Loss.ce,
    batchSize: 16,
  });
});

test.after.always(() => {
  objective.dispose();
  model.dispose();
});

test('volume with filter-normalised directions, ignoring bias and BN: dimension counts the kernels only; per layer', (t) => {
  const before = tf.memory().numTensors;
  const evals = objective.cost.lossEvaluations;
  const r = flatVolume(objective, { delta: 0.05, directions: 6, norm: 'filter', ignore: ['bias', 'bn'], perLayer: true, seed: 1, bootstrap: 100, maxRadius: 10 });
  t.is(tf.memory().numTensors, before);
  t.is(r.dimension, 3 * 3 * 1 * 3 + 27 * 3);
  t.deepEqual(
    r.perLayer!.map((l) => [l.layer.replace(/\d+$/, ''), l.dimension]),
    [
      ['conv2d_Conv2D', 27],
      ['dense_Dense', 81],
    ],
  );
  t.true(r.radii.every((x) => x > 0 && x <= 10));
  t.true(Number.isFinite(r.logVolume) && r.logVolumeCI[0] <= r.logVolume && r.logVolume <= r.logVolumeCI[1]);
  t.is(r.cost.lossEvaluations, objective.cost.lossEvaluations - evals);
  t.true(r.cost.lossEvaluations > 6 * 3);
  const again = flatVolume(objective, { delta: 0.05, directions: 6, norm: 'filter', ignore: ['bias', 'bn'], perLayer: true, seed: 1, bootstrap: 100, maxRadius: 10 });
  t.deepEqual(again.radii, r.radii);
  t.deepEqual(again.perLayer, r.perLayer);
});

test('ball on a model: every norm runs, maxLoss >= averageLoss, larger radius larger max, memory unchanged, seeded', (t) => {
  const before = tf.memory().numTensors;
  for (const norm of ['l2', 'linf', 'box'] as const) {
    const r = ballSharpness(objective, { norm, radii: [0.01, 0.05], steps: 5, restarts: 1, samples: 8, seed: 2 });
    t.is(tf.memory().numTensors, before, norm);
    for (const p of r.points) {
      t.true(p.maxLoss >= p.averageLoss!, `${norm}: max ${p.maxLoss} < average ${p.averageLoss}`);
      t.true(p.sharpness >= 0);
      t.true(p.perturbationSetNorm <= p.radius * (1 + 1e-5));
    }
    t.true(r.points[1]!.sharpness > r.points[0]!.sharpness, 'larger set, larger max');
    const again = ballSharpness(objective, { norm, radii: [0.01, 0.05], steps: 5, restarts: 1, samples: 8, seed: 2 });
    t.deepEqual(again.points, r.points);
  }
  const a = ballSharpness(objective, { norm: 'l2', adaptive: true, radii: [0.05], steps: 3, restarts: 0, samples: 2 });
  t.true(a.points[0]!.sharpness > 0);
  t.is(tf.memory().numTensors, before);
});
