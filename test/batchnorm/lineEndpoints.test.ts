/**
 * BatchNorm, everywhere the same: the landscape line between two BatchNorm checkpoints gives
 * at t = 0 and t = 1 exactly each endpoint's own loss and error, equal to what `evaluate`
 * (the one opener, openAnalysisFor, on the saved checkpoint) gives in the same BN mode:
 * - bn eval (running statistics interpolated with the weights): evaluate --bn eval;
 * - bn train (batch statistics, same chunk size): evaluate --bn train;
 * - bn recompute (statistics recomputed from the training data at every point): evaluate
 *   --bn eval of the checkpoint whose statistics were recomputed the same way.
 */
import path from 'node:path';
import test from 'ava';
import { tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { loadDataset, type Dataset } from '../../src/io/dataset.ts';
import { openAnalysisFor } from '../../src/analysis/openAnalysis.ts';
import { BnMode } from '../../src/objective/Objective.ts';
import { Loss } from '../../src/objective/losses.ts';
import { recomputeBatchNormInPlace } from '../../src/training/recomputeBatchNorm.ts';
import { createLandscape, type LandscapeCheckpoint } from '../../src/landscape/createLandscape.ts';
import { resolveLandscapeSpec, type LandscapeRequest } from '../../src/landscape/landscapeOptions.ts';
import { errorOf } from '../../src/landscape/pointEvaluator.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

const BATCH = 40;
let data: Dataset;
let evalData: Dataset;
let dir: string;

test.before(async () => {
  await useBackend('cpu');
  data = await loadDataset('synthetic:blobs:90');
  evalData = await loadDataset('synthetic:blobs:60');
  dir = await tempDir('sharpness-bn-line-');
});

function bnNet(seed: number): tfl.LayersModel {
  const L = tfl.layers;
  const m = tfl.sequential({
    layers: [L.dense({ inputShape: [2], units: 5, name: 'd1' }), L.batchNormalization({ name: 'bn' }), L.activation({ activation: 'relu' }), L.dense({ units: 3, name: 'out' })],
  });
  seedWeights(m, createRng(seed));
  return m;
}

/** `evaluate` of a saved checkpoint: loss and error on `d` in BN mode `bn`, through the one opener. */
async function evaluate(checkpoint: string, d: Dataset, bn: BnMode): Promise<{ loss: number; error: number | null }> {
  const a = await openAnalysisFor({ checkpoint, data: d.spec, loss: 'ce', bn, l2: 0, batchSize: BATCH, seed: 0 }, { data: d });
  try {
    const r = a.objective.lossAndAccuracy(a.objective.params);
    return { loss: r.loss, error: errorOf(r, d.n) };
  } finally {
    a.dispose();
  }
}

const req = (over: Partial<LandscapeRequest>): LandscapeRequest => ({
  checkpoint: 'a',
  to: 'b',
  range: '0:1:3',
  data: data.spec,
  evalData: evalData.spec,
  loss: 'ce',
  bn: 'eval',
  l2: 0,
  batchSize: BATCH,
  seed: 7,
  ...over,
});

for (const mode of ['eval', 'train', 'recompute'] as const) {
  test(`line with --bn ${mode}: t = 0 and t = 1 are each endpoint's own loss and error, as evaluate gives them`, async (t) => {
    const a = bnNet(31);
    const b = bnNet(32);
    const ck = (m: tfl.LayersModel, label: string): LandscapeCheckpoint => ({ model: m, label, path: label, sha256: label.padEnd(64, '0') });
    const ls = await createLandscape({
      spec: resolveLandscapeSpec(req({ bn: mode })),
      checkpoints: [ck(a, 'a'), ck(b, 'b')],
      data,
      evalData,
      loss: Loss.ce,
      recomputeBatchNorm: recomputeBatchNormInPlace,
    });
    t.deepEqual(ls.frame.axes.x.values, [0, 0.5, 1]);
    // What evaluate sees: the checkpoint as saved (recompute: with statistics recomputed first).
    const saved: string[] = [];
    for (const [m, name] of [[a, 'a'], [b, 'b']] as const) {
      const copy = await tfl.models.modelFromJSON({ modelTopology: m.toJSON(null, false) } as never);
      copy.setWeights(m.getWeights());
      if (mode === 'recompute') await recomputeBatchNormInPlace(copy, data, { batchSize: BATCH });
      const p = path.join(dir, `${mode}-${name}`);
      await saveCheckpoint(copy, p, { method: 'test' });
      copy.dispose();
      saved.push(p);
    }
    const bn = mode === 'train' ? BnMode.train : BnMode.eval;
    for (const [item, ckpt] of [[0, saved[0]!], [2, saved[1]!]] as const) {
      const got = await ls.evaluateItem(item);
      const tr = await evaluate(ckpt, data, bn);
      const ev = await evaluate(ckpt, evalData, bn);
      t.is(got.trainLoss, tr.loss, `t = ${item / 2}: train loss`);
      t.is(got.trainError, tr.error, `t = ${item / 2}: train error`);
      t.is(got.evalLoss, ev.loss, `t = ${item / 2}: eval loss`);
      t.is(got.evalError, ev.error, `t = ${item / 2}: eval error`);
    }
    ls.dispose();
    a.dispose();
    b.dispose();
  });
}

test('the three modes give three different values at an endpoint (each test above checks its own mode)', async (t) => {
  const a = bnNet(31);
  const values: number[] = [];
  for (const mode of ['eval', 'train', 'recompute'] as const) {
    const ls = await createLandscape({
      spec: resolveLandscapeSpec(req({ bn: mode, to: undefined, rays: 1, range: '0:1:2' })),
      checkpoints: [{ model: a, label: 'a', path: 'a', sha256: 'a'.padEnd(64, '0') }],
      data,
      evalData: null,
      loss: Loss.ce,
      recomputeBatchNorm: recomputeBatchNormInPlace,
    });
    values.push((await ls.evaluateItem(0)).trainLoss!);
    ls.dispose();
  }
  t.is(new Set(values).size, 3, `${values}`);
  a.dispose();
});
