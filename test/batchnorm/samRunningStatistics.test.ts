/**
 * SAM's ascent pass never updates BatchNorm's running statistics: after one SAM step of the
 * train loop on a layers model with BatchNorm, the moving mean and variance are exactly what
 * one plain training-mode forward at the same (pre-step) weights gives, i.e. updated once,
 * by the first pass only; and that is m1 = momentum m0 + (1 - momentum) batch mean, computed
 * by hand. A second update (what an ascent pass touching them would add) is visibly
 * different, so the test can fail.
 */
import test from 'ava';
import { tf, tfl, type Tensor } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { Trainer } from '../../src/training/trainLoop.ts';
import { resolveTrainConfig } from '../../src/training/trainConfig.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

const N = 8;
const D = 3;
const X = Array.from({ length: N * D }, (_, i) => Math.sin(1.3 * i + 0.4) * (1 + (i % 3)));
const LABELS = Int32Array.from({ length: N }, (_, i) => i % 3);
const MOMENTUM = 0.9;

function bnModel(): tfl.LayersModel {
  const L = tfl.layers;
  const m = tfl.sequential({
    layers: [
      L.dense({ inputShape: [D], units: 4, name: 'd1' }),
      L.batchNormalization({ name: 'bn', momentum: MOMENTUM }),
      L.activation({ activation: 'relu' }),
      L.dense({ units: 3, name: 'out' }),
    ],
  });
  seedWeights(m, createRng(5));
  // seedWeights fills every weight; start the statistics where a fresh layer has them.
  const bn = m.getLayer('bn');
  const [gamma, beta] = bn.getWeights();
  bn.setWeights([gamma!, beta!, tf.zeros([4]), tf.ones([4])]);
  return m;
}

function stats(m: tfl.LayersModel): { mean: number[]; variance: number[] } {
  const w = m.getLayer('bn').getWeights();
  return { mean: Array.from(w[2]!.dataSync()), variance: Array.from(w[3]!.dataSync()) };
}

function close(t: { true: (b: boolean, m?: string) => void }, a: number[], b: number[], tol: number, what: string): void {
  t.true(a.length === b.length && a.every((x, i) => Number.isFinite(x) && Math.abs(x - b[i]!) <= tol * (1 + Math.abs(b[i]!))), `${what}: ${a} vs ${b}`);
}

/** The statistics after k plain training-mode forwards of the whole batch at the model's weights (on a copy). */
async function afterForwards(model: tfl.LayersModel, k: number): Promise<{ mean: number[]; variance: number[] }> {
  const twin = bnModel();
  twin.setWeights(model.getWeights());
  const x = tf.tensor2d(X, [N, D]);
  for (let i = 0; i < k; i++) tf.dispose(twin.apply(x, { training: true }) as Tensor);
  x.dispose();
  const s = stats(twin);
  twin.dispose();
  return s;
}

for (const method of ['sam', 'sgd'] as const) {
  test(`${method}: one step updates the running statistics once, from the pass at the unperturbed weights`, async (t) => {
    const model = bnModel();
    const once = await afterForwards(model, 1);
    const twice = await afterForwards(model, 2);
    // By hand: the batch mean of the first dense layer's output, blended into m0 = 0.
    const [W, b] = model.getLayer('d1').getWeights().map((w) => Array.from(w.dataSync()));
    const handMean = Array.from({ length: 4 }, (_, j) => {
      let s = 0;
      for (let r = 0; r < N; r++) {
        let z = b![j]!;
        for (let i = 0; i < D; i++) z += X[r * D + i]! * W![i * 4 + j]!;
        s += z;
      }
      return (1 - MOMENTUM) * (s / N);
    });
    close(t, once.mean, handMean, 1e-5, 'one forward: (1 - momentum) x batch mean');

    const data = makeDataset('bn-batch', [D], Float32Array.from(X), { kind: 'classes', labels: LABELS, numClasses: 3 });
    // A large rho and lr: an ascent pass that touched the statistics would move them far.
    const config = resolveTrainConfig({ method, epochs: 1, batchSize: N, lr: 0.5, momentum: 0, ...(method === 'sam' ? { rho: 2 } : {}) });
    const trainer = new Trainer({ net: model, data, loss: 'ce', config });
    await trainer.runEpoch();
    t.is(trainer.iteration, 1);
    const got = stats(model);
    close(t, got.mean, once.mean, 1e-5, `${method} mean`);
    close(t, got.variance, once.variance, 1e-5, `${method} variance`);
    const far = got.mean.some((x, i) => Math.abs(x - twice.mean[i]!) > 1e-3) || got.variance.some((x, i) => Math.abs(x - twice.variance[i]!) > 1e-3);
    t.true(far, 'a second update would be detected');
    model.dispose();
  });
}
