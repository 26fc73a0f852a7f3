/**
 * volume as independent items: the plan, the item -> (group, direction) map, and that items
 * computed in any order assemble to exactly flatVolume's result (deep- and JSON-equal),
 * on a quadratic and on a small model, per layer included.
 */
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { UsageError } from '../../src/errors.ts';
import type { Objective } from '../../src/objective/Objective.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { flatVolume, validateVolumeOptions, type VolumeOptions } from '../../src/sharpness/flatVolume.ts';
import { assembleVolume, volumeItem, volumeItemSpec, volumePlan, type VolumeItemRecord } from '../../src/sharpness/volumeItems.ts';
import { useBackend } from '../helpers/engine.ts';
import { tinyConvObjective } from './tinyConvObjective.ts';

let model: tfl.LayersModel;
let modelObjective: Objective;

test.before(async () => {
  await useBackend('cpu');
  ({ model, objective: modelObjective } = await tinyConvObjective());
});

test.after.always(() => {
  modelObjective.dispose();
  model.dispose();
});

/** 0 .. n-1 in a seeded random order (Fisher-Yates). */
function shuffled(n: number, seed: number): number[] {
  const rng = createRng(seed);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Items computed in a shuffled order, each record through JSON (as a progress file keeps it), then assembled. */
function fromItems(objective: Objective, opts: VolumeOptions, orderSeed: number) {
  const o = validateVolumeOptions(opts);
  const plan = volumePlan(objective.names, objective.shapes, o);
  const baseLoss = objective.loss(objective.params);
  const records = new Array<VolumeItemRecord>(plan.itemCount);
  for (const j of shuffled(plan.itemCount, orderSeed)) {
    records[j] = JSON.parse(JSON.stringify(volumeItem(objective, objective.params, baseLoss, o, j))) as VolumeItemRecord;
  }
  return assembleVolume(o, plan, baseLoss, records);
}

function assertSame(t: import('ava').ExecutionContext, objective: Objective, opts: VolumeOptions, orderSeed: number) {
  const direct = flatVolume(objective, opts);
  const assembled = fromItems(objective, opts, orderSeed);
  t.deepEqual(assembled, direct);
  t.is(JSON.stringify(assembled), JSON.stringify(direct));
  return direct;
}

test('quadratic: items in a shuffled order assemble to flatVolume\'s result, with and without per layer', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [2, 1, 0.5, 0.3, 0.1], seed: 6, shapes: [[2], [3]] });
  const cases: VolumeOptions[] = [
    { delta: 0.2, directions: 6, seed: 2, bootstrap: 50 },
    { delta: 0.2, directions: 5, perLayer: true, seed: 3, bootstrap: 50 },
    // some radii censored at maxRadius
    { delta: 0.5, directions: 7, perLayer: true, maxRadius: 0.8, seed: 1, bootstrap: 30, norm: 'layer' },
  ];
  cases.forEach((opts, k) => {
    const r = assertSame(t, q, opts, 10 + k);
    t.is(r.radii.length, opts.directions);
    if (opts.perLayer) t.is(r.perLayer!.length, 2);
  });
  const censored = flatVolume(q, cases[2]!);
  t.true(censored.censored.count > 0 || censored.perLayer!.some((l) => l.censored.count > 0), 'the censored case censors');
  q.dispose();
});

test('model: items in a shuffled order assemble to flatVolume\'s result (filter norm, ignore, per layer)', (t) => {
  assertSame(t, modelObjective, { delta: 0.05, directions: 3, norm: 'filter', ignore: ['bias', 'bn'], perLayer: true, seed: 1, bootstrap: 40, maxRadius: 10 }, 7);
  assertSame(t, modelObjective, { delta: 0.05, directions: 2, perLayer: true, seed: 4, bootstrap: 20 }, 8);
});

test('cost: 1 (the loss at w) + the records\' evaluations, equal to what the objective spent', (t) => {
  const opts: VolumeOptions = { delta: 0.05, directions: 2, perLayer: true, seed: 5, bootstrap: 10 };
  const before = modelObjective.cost.lossEvaluations;
  const r = flatVolume(modelObjective, opts);
  t.is(r.cost.lossEvaluations, modelObjective.cost.lossEvaluations - before);
  const o = validateVolumeOptions(opts);
  const plan = volumePlan(modelObjective.names, modelObjective.shapes, o);
  const base = modelObjective.loss(modelObjective.params);
  let sum = 0;
  for (let j = 0; j < plan.itemCount; j++) sum += volumeItem(modelObjective, modelObjective.params, base, o, j).lossEvaluations;
  t.is(r.cost.lossEvaluations, 1 + sum);
});

test('plan: dimension, groups (filtered by --ignore, keeping their layer index) and item count', (t) => {
  const names = modelObjective.names;
  const shapes = modelObjective.shapes;
  const whole = volumePlan(names, shapes, validateVolumeOptions({ delta: 0.1, directions: 4 }));
  t.deepEqual([whole.dimension, whole.directions, whole.groups, whole.itemCount], [modelObjective.dimension, 4, [], 4]);

  const all = volumePlan(names, shapes, validateVolumeOptions({ delta: 0.1, directions: 4, perLayer: true }));
  t.deepEqual(
    all.groups.map((g) => [g.layer.replace(/\d+$/, ''), g.k, g.dimension]),
    [
      ['conv2d_Conv2D', 0, 3 * 3 * 2 + 2],
      ['batch_normalization_BatchNormalization', 1, 2 * 2],
      ['dense_Dense', 2, 8 * 3 + 3],
    ],
  );
  t.is(all.itemCount, 16);
  t.is(all.dimension, 20 + 4 + 27);

  const kernels = volumePlan(names, shapes, validateVolumeOptions({ delta: 0.1, directions: 3, perLayer: true, norm: 'filter', ignore: ['bias', 'bn'] }));
  t.is(kernels.dimension, 18 + 24);
  t.deepEqual(
    kernels.groups.map((g) => [g.k, g.dimension]),
    [
      [0, 18],
      [2, 24],
    ],
  );
  t.is(kernels.itemCount, 9);
  t.deepEqual(
    Array.from({ length: 9 }, (_, j) => {
      const s = volumeItemSpec(kernels, j);
      return [s.group === null ? null : s.group.k, s.direction];
    }),
    [
      [null, 0],
      [null, 1],
      [null, 2],
      [0, 0],
      [0, 1],
      [0, 2],
      [2, 0],
      [2, 1],
      [2, 2],
    ],
  );
});

test('validation: nothing to move, bad item index, wrong record count', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [1, 0.5], seed: 1 });
  const evals = q.cost.lossEvaluations;
  // the quadratic's blocks are 1-D: --ignore bias leaves nothing, found before any loss evaluation
  t.throws(() => flatVolume(q, { delta: 0.1, directions: 2, ignore: ['bias'] }), { instanceOf: UsageError, message: 'volume: --ignore leaves no parameters to move' });
  t.is(q.cost.lossEvaluations, evals);
  const o = validateVolumeOptions({ delta: 0.1, directions: 2 });
  const plan = volumePlan(q.names, q.shapes, o);
  for (const j of [-1, 2, 0.5, NaN]) {
    t.throws(() => volumeItem(q, q.params, 0, o, j, plan), { instanceOf: UsageError, message: `volume: item index must be an integer in [0, 2), got ${j}` });
  }
  t.throws(() => assembleVolume(o, plan, 0, [{ radius: 1, censored: false, lossEvaluations: 3 }]), {
    instanceOf: UsageError,
    message: 'volume: assembling needs 2 item records, got 1',
  });
  q.dispose();
});

test('memory: tf.memory().numTensors is unchanged after many items', (t) => {
  const o = validateVolumeOptions({ delta: 0.05, directions: 2, perLayer: true, norm: 'filter', seed: 3 });
  const plan = volumePlan(modelObjective.names, modelObjective.shapes, o);
  const base = modelObjective.loss(modelObjective.params);
  volumeItem(modelObjective, modelObjective.params, base, o, 0, plan);
  const before = tf.memory().numTensors;
  for (let j = 0; j < plan.itemCount; j++) volumeItem(modelObjective, modelObjective.params, base, o, j, plan);
  t.is(tf.memory().numTensors, before);
});
