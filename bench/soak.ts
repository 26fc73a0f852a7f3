/**
 * Soak test (not part of `npm test`): 2,000 HVPs and 10,000 loss evaluations on a real
 * model objective, checking that tf.memory().numTensors and the process RSS stay flat.
 *
 *   npm run soak [-- --hvps 2000 --losses 10000 --backend wasm]
 *
 * Prints numTensors and RSS every 10% and exits 1 if tensors grew at all or RSS grew by
 * more than 64 MiB after the warm-up.
 */
import { tf, tfl } from '../src/engine/tf.ts';
import { initEngine, type Backend } from '../src/engine/backend.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { createModelObjective } from '../src/objective/modelObjective.ts';
import { Loss } from '../src/objective/losses.ts';
import * as pv from '../src/engine/paramVector.ts';
import { createRng } from '../src/engine/rng.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const hvps = Number(arg('hvps', '2000'));
const losses = Number(arg('losses', '10000'));
await initEngine({ backend: arg('backend', 'wasm') as Backend });
const L = tfl.layers;
const model = tfl.sequential({
  layers: [
    L.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3 }),
    L.batchNormalization({}),
    L.activation({ activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 10, activation: 'softmax' }),
  ],
});
const data = await loadDataset('mnist:train:200');
const o = await createModelObjective(model, data, { loss: Loss.ce, batchSize: 100 });
const v = pv.randomNormal(o.shapes, createRng(1));
const mib = () => process.memoryUsage().rss / 2 ** 20;

function phase(name: string, n: number, step: () => void): { tensors: number; rss: number; growth: number } {
  for (let i = 0; i < Math.min(20, n); i++) step(); // warm-up: caches, kernels, heap
  const t0 = tf.memory().numTensors;
  const r0 = mib();
  const started = performance.now();
  for (let i = 1; i <= n; i++) {
    step();
    if (i % Math.max(1, Math.floor(n / 10)) === 0) {
      console.log(`${name} ${i}/${n}: numTensors ${tf.memory().numTensors} (start ${t0}), RSS ${mib().toFixed(0)} MiB (start ${r0.toFixed(0)}), ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  return { tensors: tf.memory().numTensors - t0, rss: mib(), growth: mib() - r0 };
}

const h = phase('hvp', hvps, () => pv.dispose(o.hvp(o.params, v)));
const l = phase('loss', losses, () => void o.loss(o.params));
console.log(JSON.stringify({ hvps, losses, tensorGrowth: { hvp: h.tensors, loss: l.tensors }, rssGrowthMiB: { hvp: h.growth, loss: l.growth } }));
if (h.tensors !== 0 || l.tensors !== 0 || h.growth > 64 || l.growth > 64) {
  console.error('soak: memory grew');
  process.exit(1);
}
