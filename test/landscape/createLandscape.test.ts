/**
 * The landscape as a function of (spec, index): values at known points equal the model
 * objective evaluated directly at the same weights, for rays, lines (with BatchNorm
 * statistics interpolated or recomputed), planes through three checkpoints and random
 * planes; the order of evaluation does not matter; no tensor leaks.
 */
import test from 'ava';
import { tf, tfl, type Tensor } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { InputError, UsageError } from '../../src/errors.ts';
import { generateSynthetic } from '../../src/io/synthetic.ts';
import type { Dataset } from '../../src/io/dataset.ts';
import { createModelObjective } from '../../src/objective/modelObjective.ts';
import { Loss } from '../../src/objective/losses.ts';
import { recomputeBatchNormInPlace } from '../../src/training/recomputeBatchNorm.ts';
import { createLandscape, type LandscapeCheckpoint } from '../../src/landscape/createLandscape.ts';
import { landscapeDirection } from '../../src/landscape/landscapeDirection.ts';
import { resolveLandscapeSpec, type LandscapeRequest } from '../../src/landscape/landscapeOptions.ts';
import { errorOf } from '../../src/landscape/pointEvaluator.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { useBackend } from '../helpers/engine.ts';

const L = tfl.layers;
let data: Dataset;
let evalData: Dataset;

test.before(async () => {
  await useBackend('cpu');
  data = generateSynthetic('blobs', 90, 0);
  evalData = generateSynthetic('blobs', 60, 1);
});

function mlp(seed: number, hidden = 6): tfl.LayersModel {
  const m = tfl.sequential({ layers: [L.dense({ inputShape: [2], units: hidden, activation: 'tanh' }), L.dense({ units: 3, activation: 'softmax' })] });
  seedWeights(m, createRng(seed));
  return m;
}

function bnNet(seed: number): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [L.dense({ inputShape: [2], units: 5 }), L.batchNormalization(), L.activation({ activation: 'relu' }), L.dense({ units: 3 })],
  });
  seedWeights(m, createRng(seed));
  return m;
}

function ck(model: tfl.LayersModel, label: string): LandscapeCheckpoint {
  return { model, label, path: `runs/${label}`, sha256: label.padEnd(64, '0') };
}

const req = (over: Partial<LandscapeRequest>): LandscapeRequest => ({
  checkpoint: 'runs/a',
  data: data.spec,
  evalData: evalData.spec,
  loss: 'ce',
  bn: 'eval',
  l2: 0,
  batchSize: 40,
  seed: 7,
  ...over,
});

/** Loss and error of `model` with all weights replaced by `all` (model.weights order), evaluated directly. */
async function direct(model: tfl.LayersModel, all: Tensor[] | null, d: Dataset, recompute = false): Promise<{ loss: number; error: number | null }> {
  const copy = await tfl.models.modelFromJSON({ modelTopology: model.toJSON(null, false) } as unknown as tf.io.ModelJSON);
  copy.setWeights(all ?? model.getWeights());
  if (recompute) await recomputeBatchNormInPlace(copy, data, { batchSize: 40 });
  const obj = await createModelObjective(copy, d, { loss: Loss.ce, batchSize: 40 });
  const r = obj.lossAndAccuracy(obj.params);
  obj.dispose();
  copy.dispose();
  return { loss: r.loss, error: errorOf(r, d.n) };
}

function close(t: { true: (b: boolean, m?: string) => void }, a: number | null | undefined, b: number | null | undefined, tol: number, what: string): void {
  t.true(a !== null && a !== undefined && b !== null && b !== undefined && Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a} vs ${b}`);
}

test('line: alpha = 0 and 1 give the two checkpoints\' own loss and error exactly; the checkpoint items too', async (t) => {
  const a = mlp(1);
  const b = mlp(2);
  const spec = resolveLandscapeSpec(req({ to: 'runs/b', range: '-0.5:1.5:5' }));
  const ls = await createLandscape({ spec, checkpoints: [ck(a, 'a'), ck(b, 'b')], data, evalData, loss: Loss.ce });
  t.is(ls.mode, 'objective');
  t.deepEqual(ls.frame.axes.x.values, [-0.5, 0, 0.5, 1, 1.5]);
  t.is(ls.frame.itemCount, 7);
  const da = await direct(a, null, data);
  const db = await direct(b, null, data);
  const ea = await direct(a, null, evalData);
  const at0 = await ls.evaluateItem(1);
  const at1 = await ls.evaluateItem(3);
  t.is(at0.trainLoss, da.loss);
  t.is(at0.trainError, da.error);
  t.is(at0.evalLoss, ea.loss);
  t.is(at1.trainLoss, db.loss);
  t.deepEqual(await ls.evaluateItem(5), at0, 'checkpoint A item');
  t.deepEqual(await ls.evaluateItem(6), at1, 'checkpoint B item');
  // A point off the checkpoints: the weights (1 - alpha) wA + alpha wB.
  const wa = a.getWeights();
  const wb = b.getWeights();
  const mid = wa.map((x, i) => tf.add(tf.mul(x, 0.5), tf.mul(wb[i]!, 0.5)));
  close(t, (await ls.evaluateItem(2)).trainLoss, (await direct(a, mid, data)).loss, 1e-6, 'alpha 0.5');
  const dist = pv.sub(b.trainableWeights.map((w) => w.read()), a.trainableWeights.map((w) => w.read()));
  close(t, ls.frame.line!.length, pv.norm(dist), 1e-9, 'line length');
  pv.dispose(mid, dist);
  ls.dispose();
  a.dispose();
  b.dispose();
});

test('rays: ray r at t is the objective at w* + t u_r, u_r drawn from rng.fork(r) and filter-normalised', async (t) => {
  const a = mlp(3);
  const spec = resolveLandscapeSpec(req({ rays: 3, range: '0:1:4' }));
  const ls = await createLandscape({ spec, checkpoints: [ck(a, 'a')], data, evalData: null, loss: Loss.ce });
  t.is(ls.frame.pointCount, 12);
  t.is(ls.frame.itemCount, 13);
  t.false(ls.frame.hasEval);
  const w = a.trainableWeights.map((x) => x.read());
  const names = a.trainableWeights.map((x) => x.originalName);
  const obj = await createModelObjective(a, data, { loss: Loss.ce, batchSize: 40 });
  for (const [r, j] of [
    [0, 0],
    [1, 2],
    [2, 3],
  ] as const) {
    const u = landscapeDirection(w, createRng(7).fork(r), { norm: 'filter', ignore: ['bias', 'bn'], names });
    const tval = ls.frame.axes.x.values[j]!;
    const p = pv.axpy(tval, u, w);
    const want = obj.lossAndAccuracy(p);
    const got = await ls.evaluateItem(r * 4 + j);
    t.is(got.trainLoss, want.loss, `ray ${r} step ${j}`);
    t.false('evalLoss' in got);
    close(t, ls.frame.rays![r]!.norm, pv.norm(u), 1e-12, 'ray norm');
    // Biases are left out of the direction (--ignore bias,bn by default).
    t.is(tf.max(tf.abs(u[1]!)).dataSync()[0], 0);
    pv.dispose(u, p);
  }
  t.is((await ls.evaluateItem(12)).trainLoss, obj.loss(obj.params), 'the checkpoint item is w*');
  t.is((await ls.evaluateItem(4)).trainLoss, obj.loss(obj.params), 't = 0 is w*');
  obj.dispose();
  ls.dispose();
  a.dispose();
});

test('plane through three checkpoints: their coordinates reproduce them; x, y are Euclidean; grid values are the objective there', async (t) => {
  const ms = [mlp(4), mlp(5), mlp(6)];
  const spec = resolveLandscapeSpec(req({ plane: 'runs/b,runs/c', range: 'auto:5' }));
  const ls = await createLandscape({ spec, checkpoints: ms.map((m, k) => ck(m, 'abc'[k]!)), data, evalData, loss: Loss.ce });
  const cs = ls.frame.checkpoints;
  t.deepEqual([cs[0]!.x, cs[0]!.y, cs[1]!.y], [0, 0, 0]);
  const ws = ms.map((m) => m.trainableWeights.map((x) => x.read()));
  for (let k = 0; k < 3; k++) {
    const p = ls.trainableAt({ x: cs[k]!.x, y: cs[k]!.y! });
    const diff = pv.sub(p, ws[k]!);
    t.true(pv.norm(diff) <= 1e-5 * pv.norm(ws[k]!), `checkpoint ${k} reproduced: ${pv.norm(diff)}`);
    pv.dispose(p, diff);
  }
  const d23 = pv.sub(ws[2]!, ws[1]!);
  close(t, Math.hypot(cs[2]!.x - cs[1]!.x, cs[2]!.y! - cs[1]!.y!), pv.norm(d23), 1e-6, '|w3 - w2| from the coordinates');
  pv.dispose(d23);
  // auto range: a square margin around the three points.
  const xs = ls.frame.axes.x.values;
  const ys = ls.frame.axes.y!.values;
  t.true(xs[0]! < Math.min(0, cs[2]!.x) && xs[4]! > Math.max(cs[1]!.x, cs[2]!.x));
  t.true(ys[0]! < 0 && ys[4]! > cs[2]!.y!);
  const obj = await createModelObjective(ms[0]!, data, { loss: Loss.ce, batchSize: 40 });
  for (const i of [0, 7, 24]) {
    const p = ls.trainableAt({ x: xs[i % 5]!, y: ys[Math.floor(i / 5)]! });
    t.is((await ls.evaluateItem(i)).trainLoss, obj.loss(p), `grid point ${i}`);
    pv.dispose(p);
  }
  for (let k = 0; k < 3; k++) t.is((await ls.evaluateItem(25 + k)).trainLoss, (await direct(ms[k]!, null, data)).loss, `checkpoint ${k}`);
  obj.dispose();
  ls.dispose();
  ms.forEach((m) => m.dispose());
});

test('random plane: the centre is w*, a point is w* + a d1 + b d2 with d1, d2 from fork(0), fork(1)', async (t) => {
  const a = mlp(8);
  const spec = resolveLandscapeSpec(req({ randomPlane: true, range: '-1:1:3', norm: 'layer' }));
  const ls = await createLandscape({ spec, checkpoints: [ck(a, 'a')], data, evalData, loss: Loss.ce });
  const w = a.trainableWeights.map((x) => x.read());
  const names = a.trainableWeights.map((x) => x.originalName);
  const d1 = landscapeDirection(w, createRng(7).fork(0), { norm: 'layer', ignore: ['bias', 'bn'], names });
  const d2 = landscapeDirection(w, createRng(7).fork(1), { norm: 'layer', ignore: ['bias', 'bn'], names });
  const obj = await createModelObjective(a, data, { loss: Loss.ce, batchSize: 40 });
  t.is((await ls.evaluateItem(4)).trainLoss, obj.loss(obj.params), 'centre');
  const p = pv.linearCombination([1, 1, -1], [w, d1, d2]);
  t.is((await ls.evaluateItem(2)).trainLoss, obj.loss(p), '(1, -1)');
  close(t, ls.frame.directions!.cosine, pv.dot(d1, d2) / (pv.norm(d1) * pv.norm(d2)), 1e-9, 'cosine');
  pv.dispose(d1, d2, p);
  obj.dispose();
  ls.dispose();
  a.dispose();
});

test('line with BatchNorm: running statistics are interpolated with the weights (all weights combined)', async (t) => {
  const a = bnNet(11);
  const b = bnNet(12);
  const spec = resolveLandscapeSpec(req({ to: 'runs/b', range: '0:1:5' }));
  const ls = await createLandscape({ spec, checkpoints: [ck(a, 'a'), ck(b, 'b')], data, evalData, loss: Loss.ce });
  t.is(ls.mode, 'model');
  t.is(ls.passesPerItem, 2);
  const wa = a.getWeights();
  const wb = b.getWeights();
  const quarter = wa.map((x, i) => tf.add(tf.mul(x, 0.75), tf.mul(wb[i]!, 0.25)));
  const got = await ls.evaluateItem(1);
  close(t, got.trainLoss, (await direct(a, quarter, data)).loss, 1e-6, 'alpha 0.25, all weights');
  close(t, got.evalLoss, (await direct(a, quarter, evalData)).loss, 1e-6, 'alpha 0.25, eval');
  // Interpolating only the trainable weights would give another value.
  const trainableOnly = quarter.map((x, i) => (a.weights[i]!.trainable ? x : wa[i]!));
  t.true(Math.abs(got.trainLoss! - (await direct(a, trainableOnly, data)).loss) > 1e-4, 'the statistics matter');
  t.is((await ls.evaluateItem(0)).trainLoss, (await direct(a, null, data)).loss, 'alpha 0 is A');
  t.is((await ls.evaluateItem(4)).trainLoss, (await direct(b, null, data)).loss, 'alpha 1 is B');
  pv.dispose(quarter);
  ls.dispose();
  a.dispose();
  b.dispose();
});

test('--bn recompute: statistics recomputed from the training data at every point (injected function)', async (t) => {
  const a = bnNet(13);
  const b = bnNet(14);
  const spec = resolveLandscapeSpec(req({ to: 'runs/b', range: '0:1:3', bn: 'recompute' }));
  await t.throwsAsync(createLandscape({ spec, checkpoints: [ck(a, 'a'), ck(b, 'b')], data, evalData, loss: Loss.ce }), { instanceOf: UsageError });
  const ls = await createLandscape({ spec, checkpoints: [ck(a, 'a'), ck(b, 'b')], data, evalData, loss: Loss.ce, recomputeBatchNorm: recomputeBatchNormInPlace });
  t.is(ls.mode, 'model');
  t.is(ls.passesPerItem, 3);
  const wa = a.getWeights();
  const wb = b.getWeights();
  const half = wa.map((x, i) => tf.add(tf.mul(x, 0.5), tf.mul(wb[i]!, 0.5)));
  const got = await ls.evaluateItem(1);
  close(t, got.trainLoss, (await direct(a, half, data, true)).loss, 1e-6, 'recomputed at alpha 0.5');
  close(t, got.evalLoss, (await direct(a, half, evalData, true)).loss, 1e-6, 'eval, recomputed');
  t.true(Math.abs(got.trainLoss! - (await direct(a, half, data)).loss) > 1e-4, 'differs from interpolated statistics');
  pv.dispose(half);
  ls.dispose();
  // Rays on a model without BatchNorm: recompute changes nothing, the fast path is kept.
  const m = mlp(15);
  const rays = await createLandscape({ spec: resolveLandscapeSpec(req({ rays: 1, range: '0:1:2', bn: 'recompute' })), checkpoints: [ck(m, 'm')], data, evalData: null, loss: Loss.ce });
  t.is(rays.mode, 'objective');
  rays.dispose();
  m.dispose();
  a.dispose();
  b.dispose();
});

test('values do not depend on the order items are computed in', async (t) => {
  const a = bnNet(21);
  const b = bnNet(22);
  const c = bnNet(23);
  const spec = resolveLandscapeSpec(req({ plane: 'runs/b,runs/c', range: '-1:1:3,0:1:2' }));
  const make = () => createLandscape({ spec, checkpoints: [ck(a, 'a'), ck(b, 'b'), ck(c, 'c')], data, evalData, loss: Loss.ce });
  const l1 = await make();
  const forward = [];
  for (let i = 0; i < l1.frame.itemCount; i++) forward.push(await l1.evaluateItem(i));
  l1.dispose();
  const l2 = await make();
  const backward = [];
  for (let i = l2.frame.itemCount - 1; i >= 0; i--) backward.unshift(await l2.evaluateItem(i));
  l2.dispose();
  t.deepEqual(backward, forward);
  [a, b, c].forEach((m) => m.dispose());
});

test('different architectures, identical or collinear checkpoints are refused with a clear message', async (t) => {
  const a = mlp(1, 6);
  const b = mlp(2, 7);
  const line = resolveLandscapeSpec(req({ to: 'runs/b' }));
  const e = await t.throwsAsync(createLandscape({ spec: line, checkpoints: [ck(a, 'a'), ck(b, 'b')], data, evalData, loss: Loss.ce }), { instanceOf: InputError });
  t.regex(e!.message, /b and a have different architectures \(weight #0 .* has shape \[2,7\] in b but \[2,6\] in a\)/);
  const c = mlp(3, 6);
  // w3 = 2 w2 - w1: on the line through w1 and w2.
  const a2 = mlp(1, 6);
  const wa = a2.getWeights();
  const wc = c.getWeights();
  const d = mlp(9, 6);
  d.setWeights(wa.map((x, i) => tf.sub(tf.mul(wc[i]!, 2), x)));
  const plane = resolveLandscapeSpec(req({ plane: 'runs/c,runs/d' }));
  await t.throwsAsync(createLandscape({ spec: plane, checkpoints: [ck(a2, 'a'), ck(c, 'c'), ck(d, 'd')], data, evalData, loss: Loss.ce }), {
    instanceOf: InputError,
    message: /a, c and d lie on one line/,
  });
  await t.throwsAsync(createLandscape({ spec: plane, checkpoints: [ck(a2, 'a'), ck(a2, 'a2'), ck(d, 'd')], data, evalData, loss: Loss.ce }), {
    instanceOf: InputError,
    message: /same trainable weights/,
  });
  [a, b, c, a2, d].forEach((m) => m.dispose());
});

// Serial: tensors of tests running concurrently would be counted.
test.serial('no tensor leaks: evaluating many items in both modes and disposing returns to the start', async (t) => {
  const a = bnNet(31);
  const b = bnNet(32);
  const before = tf.memory().numTensors;
  for (const [over, cks] of [
    [{ to: 'runs/b', range: '0:1:3' }, [a, b]],
    [{ rays: 2, range: '0:1:3' }, [a]],
    [{ randomPlane: true, range: '-1:1:3' }, [a]],
    [{ to: 'runs/b', range: '0:1:3', bn: 'recompute' }, [a, b]],
  ] as [Partial<LandscapeRequest>, tfl.LayersModel[]][]) {
    const ls = await createLandscape({
      spec: resolveLandscapeSpec(req(over)),
      checkpoints: cks.map((m, k) => ck(m, `m${k}`)),
      data,
      evalData,
      loss: Loss.ce,
      recomputeBatchNorm: recomputeBatchNormInPlace,
    });
    await ls.evaluateItem(0);
    const mid = tf.memory().numTensors;
    for (let i = 0; i < ls.frame.itemCount; i++) await ls.evaluateItem(i);
    await ls.evaluateItem(0);
    t.is(tf.memory().numTensors, mid, `${JSON.stringify(over)}: flat while evaluating`);
    ls.dispose();
    t.is(tf.memory().numTensors, before, `${JSON.stringify(over)}: released by dispose`);
  }
  a.dispose();
  b.dispose();
});
