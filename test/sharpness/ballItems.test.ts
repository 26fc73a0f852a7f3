/**
 * ball as independent items: computing the items in any order, in another "process" (a
 * fresh context), through a JSON round trip, and assembling them gives exactly (deepEqual
 * and JSON-equal) what ballSharpness returns, on a quadratic and on a small model with
 * BatchNorm, for l2, linf, box and adaptive sets; sample j is the loss at random point j of
 * the set whatever batch it falls in; records and assembly reject what does not fit.
 */
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { InputError, UsageError } from '../../src/errors.ts';
import type { Objective } from '../../src/objective/Objective.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import {
  assembleBall,
  ballItem,
  ballPlan,
  checkBallRecord,
  createBallContext,
  SAMPLES_PER_ITEM,
  type BallRecord,
} from '../../src/sharpness/ballItems.ts';
import { ballSharpness, type BallOptions } from '../../src/sharpness/ballSharpness.ts';
import { createPerturbationSet, randomPointInSet } from '../../src/sharpness/perturbationSet.ts';
import { useBackend } from '../helpers/engine.ts';
import { tinyConvObjective } from './tinyConvObjective.ts';

let quadratic: Objective;
let model: tfl.LayersModel;
let modelObjective: Objective;

test.before(async () => {
  await useBackend('cpu');
  const d = 8;
  quadratic = createQuadraticObjective({
    eigenvalues: Array.from({ length: d }, (_, i) => 4 / (i + 1) ** 1.5),
    seed: 3,
    center: Array.from({ length: d }, (_, i) => Math.fround(Math.sin(3 * i + 3))),
    baseLoss: 0.3,
  });
  ({ model, objective: modelObjective } = await tinyConvObjective());
});

test.after.always(() => {
  quadratic.dispose();
  modelObjective.dispose();
  model.dispose();
});

/** A fixed permutation of 0..n-1 (Fisher-Yates from a seeded stream). */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = createRng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The items computed in a shuffled order, half with one context and half with another, through JSON. */
function itemsShuffled(objective: Objective, options: BallOptions, seed: number): { baseLoss: number; records: BallRecord[] } {
  const plan = ballPlan(options);
  const contexts = [createBallContext(objective, options), createBallContext(objective, options)];
  const records: BallRecord[] = new Array(plan.itemCount);
  try {
    shuffled(plan.itemCount, seed).forEach((i, k) => {
      const rec = ballItem(objective, contexts[k % 2]!, options, i);
      records[i] = checkBallRecord(JSON.parse(JSON.stringify(rec)), i, 'test');
    });
    return { baseLoss: contexts[0]!.baseLoss, records };
  } finally {
    for (const c of contexts) c.dispose();
  }
}

const SETS = [
  { norm: 'l2', adaptive: false },
  { norm: 'linf', adaptive: false },
  { norm: 'box', adaptive: false },
  { norm: 'l2', adaptive: true },
  { norm: 'linf', adaptive: true },
] as const;

for (const [name, get] of [
  ['a quadratic', () => quadratic],
  ['a small model with BatchNorm', () => modelObjective],
] as const) {
  test(`items in a shuffled order, assembled, equal ballSharpness exactly on ${name} (l2, linf, box, adaptive)`, (t) => {
    const objective = get();
    for (const set of SETS) {
      // 19 samples: two full batches and a partial one; 3 restarts: 4 starts per radius.
      const options: BallOptions = { ...set, radii: [0.05, 0.4], steps: 5, restarts: 3, samples: 2 * SAMPLES_PER_ITEM + 3, seed: 7 };
      const direct = ballSharpness(objective, options);
      const { baseLoss, records } = itemsShuffled(objective, options, 11);
      const assembled = assembleBall(options, baseLoss, records);
      t.deepEqual(assembled, direct, `${set.norm}${set.adaptive ? ' adaptive' : ''}`);
      t.is(JSON.stringify(assembled), JSON.stringify(direct));
      t.true(direct.points.some((p) => p.bestRestart !== null), 'some start beats the centre');
    }
  });
}

test('the plan: per radius, the SAM start and the restarts, then the samples in batches', (t) => {
  const plan = ballPlan({ norm: 'l2', radii: [0.1, 0.2], restarts: 2, samples: SAMPLES_PER_ITEM + 1 });
  t.is(plan.itemsPerRadius, 3 + 2);
  t.is(plan.itemCount, 10);
  t.deepEqual(plan.item(0), { kind: 'start', radiusIndex: 0, start: 0 });
  t.deepEqual(plan.item(2), { kind: 'start', radiusIndex: 0, start: 2 });
  t.deepEqual(plan.item(3), { kind: 'samples', radiusIndex: 0, first: 0, count: SAMPLES_PER_ITEM });
  t.deepEqual(plan.item(4), { kind: 'samples', radiusIndex: 0, first: SAMPLES_PER_ITEM, count: 1 });
  t.deepEqual(plan.item(5), { kind: 'start', radiusIndex: 1, start: 0 });
  t.deepEqual([...Array(10).keys()].filter((i) => plan.endsRadius(i)), [4, 9]);
  t.is(ballPlan({ norm: 'l2', radii: [0.1], restarts: 0, samples: 0 }).itemCount, 1);
  t.throws(() => plan.item(10), { instanceOf: UsageError, message: /item must be an integer in \[0, 9\], got 10/ });
  t.throws(() => ballPlan({ norm: 'l2', radii: [0.1], samples: -1 }), { instanceOf: UsageError, message: /--samples must be an integer >= 0, got -1/ });
});

test('sample j is the loss at random point j of the set (stream fork(2).fork(j)), whatever batch holds it', (t) => {
  const options: BallOptions = { norm: 'linf', radii: [0.3], restarts: 0, steps: 0, samples: SAMPLES_PER_ITEM + 2, seed: 9 };
  const context = createBallContext(quadratic, options);
  const second = ballItem(quadratic, context, options, 2);
  context.dispose();
  t.is(second.kind, 'samples');
  if (second.kind !== 'samples') return;
  t.is(second.first, SAMPLES_PER_ITEM);
  const set = createPerturbationSet('linf', quadratic.params);
  const expected = [SAMPLES_PER_ITEM, SAMPLES_PER_ITEM + 1].map((j) => {
    const e = randomPointInSet(set, 0.3, createRng(9).fork(2).fork(j));
    const x = pv.add(quadratic.params, e);
    const l = quadratic.loss(x);
    pv.dispose(e, x);
    return l;
  });
  set.dispose();
  t.deepEqual(second.losses, expected);
});

test('cost: the context is one gradient; the items spend what their records say; onProgress once per radius', (t) => {
  const options: BallOptions = { norm: 'l2', radii: [0.1, 0.3], steps: 4, restarts: 1, samples: 5, seed: 2 };
  const before = { ...modelObjective.cost };
  const context = createBallContext(modelObjective, options);
  t.is(modelObjective.cost.gradients - before.gradients, 1);
  t.is(modelObjective.cost.lossEvaluations, before.lossEvaluations);
  const plan = ballPlan(options);
  const records: BallRecord[] = [];
  for (let i = 0; i < plan.itemCount; i++) records.push(ballItem(modelObjective, context, options, i));
  const result = assembleBall(options, context.baseLoss, records);
  context.dispose();
  t.is(result.cost.gradients, modelObjective.cost.gradients - before.gradients);
  t.is(result.cost.lossEvaluations, modelObjective.cost.lossEvaluations - before.lossEvaluations);
  const progress: [number, number][] = [];
  const direct = ballSharpness(modelObjective, { ...options, onProgress: (done, total) => progress.push([done, total]) });
  t.deepEqual(progress, [
    [1, 2],
    [2, 2],
  ]);
  t.deepEqual(direct, result);
});

test('checkBallRecord rejects malformed records, naming where and the item', (t) => {
  const start = { kind: 'start', radiusIndex: 0, start: 1, baseLoss: 0.3, loss: 0.5, perturbationNorm: 0.1, perturbationSetNorm: 0.1, iterations: 2, gradients: 2, lossEvaluations: 2, ascentLoss: 0.5, vertices: 0, vertexTotal: 0 };
  const samples = { kind: 'samples', radiusIndex: 1, first: 8, baseLoss: 0.3, losses: [0.4, 0.5] };
  t.deepEqual(checkBallRecord(start, 1, 'p.json'), start as BallRecord);
  t.deepEqual(checkBallRecord({ ...start, loss: null, extra: 1 }, 1, 'p.json'), { ...start, loss: null } as BallRecord);
  t.deepEqual(checkBallRecord(samples, 3, 'p.json'), samples as BallRecord);
  const bad: [unknown, RegExp][] = [
    [null, /not an object/],
    [[1], /not an object/],
    [{ ...start, kind: 'point' }, /kind must be 'start' or 'samples', got "point"/],
    [{ ...start, radiusIndex: -1 }, /radiusIndex/],
    [{ ...start, baseLoss: null }, /baseLoss/],
    [{ ...start, loss: 'x' }, /loss must be a finite number or null/],
    [{ ...start, iterations: 1.5 }, /iterations must be an integer >= 0/],
    [{ ...start, perturbationNorm: -1 }, /perturbationNorm/],
    [{ ...start, ascentLoss: Infinity }, /ascentLoss must be a finite number or null/],
    [{ ...start, vertices: -1 }, /vertices must be an integer >= 0/],
    [{ ...samples, losses: [0.1, null] }, /losses must be finite numbers/],
    [{ ...samples, first: undefined }, /first must be an integer/],
  ];
  for (const [value, message] of bad) {
    t.throws(() => checkBallRecord(value, 4, 'p.json'), { instanceOf: InputError, message: new RegExp(`^p\\.json: ball item 4 is not a valid record \\(.*${message.source}`) });
  }
});

test('assembleBall rejects records that do not belong to the options', (t) => {
  const options: BallOptions = { norm: 'l2', radii: [0.1], steps: 1, restarts: 1, samples: 3, seed: 1 };
  const { baseLoss, records } = itemsShuffled(quadratic, options, 1);
  t.notThrows(() => assembleBall(options, baseLoss, records));
  t.throws(() => assembleBall(options, baseLoss, records.slice(1)), { instanceOf: InputError, message: /3 item records expected for these options, got 2/ });
  t.throws(() => assembleBall(options, baseLoss, [records[1]!, records[0]!, records[2]!]), { instanceOf: InputError, message: /item 0 does not belong.*start 1, expected 0/ });
  t.throws(() => assembleBall({ ...options, samples: 4 }, baseLoss, records), { instanceOf: InputError, message: /samples 0\+3, expected 0\+4/ });
  t.throws(() => assembleBall(options, baseLoss + 1, records), { instanceOf: InputError, message: /baseLoss/ });
  t.throws(() => assembleBall({ ...options, radii: [0.1, 0.2] }, baseLoss, records), { instanceOf: InputError, message: /6 item records expected/ });
});

test('the context must match the objective and the set options', (t) => {
  const context = createBallContext(quadratic, { norm: 'l2', radii: [0.1] });
  t.throws(() => ballItem(quadratic, context, { norm: 'linf', radii: [0.1] }, 0), { instanceOf: UsageError, message: /context was built for another/ });
  t.throws(() => ballItem(modelObjective, context, { norm: 'l2', radii: [0.1] }, 0), { instanceOf: UsageError });
  context.dispose();
});

test('memory: tf.memory().numTensors is unchanged after many contexts and items', (t) => {
  const options: BallOptions = { norm: 'box', radii: [0.1, 0.2], steps: 3, restarts: 2, samples: 9, seed: 3 };
  itemsShuffled(modelObjective, options, 2);
  const before = tf.memory().numTensors;
  for (let k = 0; k < 3; k++) {
    for (const set of SETS) itemsShuffled(k % 2 ? quadratic : modelObjective, { ...options, ...set, seed: k }, k);
  }
  t.is(tf.memory().numTensors, before);
});
