/**
 * Times `ball` and `volume` on the built-in MLP (docs/engine.md; Dense 784-128-10, relu) over
 * 1000 synthetic 28x28 samples (seeded Gaussian inputs, 10 classes; the timing does not
 * depend on the values), wasm backend unless BACKEND=cpu. Run:
 *   node --import=tsx bench/sharpness.bench.ts
 */
import { tf, tfl } from '../src/engine/tf.ts';
import { initEngine } from '../src/engine/backend.ts';
import { createRng } from '../src/engine/rng.ts';
import { makeDataset } from '../src/io/makeDataset.ts';
import { createModelObjective } from '../src/objective/modelObjective.ts';
import { Loss } from '../src/objective/losses.ts';
import { ballSharpness } from '../src/sharpness/ballSharpness.ts';
import { flatVolume } from '../src/sharpness/flatVolume.ts';

const backend = (process.env['BACKEND'] ?? 'wasm') as 'wasm' | 'cpu';
await initEngine({ backend });

const n = 1000;
const rng = createRng(1);
const x = Float32Array.from({ length: n * 784 }, () => rng.uniform());
const labels = Int32Array.from({ length: n }, () => rng.int(0, 9));
const data = makeDataset('synthetic:bench', [28, 28, 1], x, { kind: 'classes', labels, numClasses: 10 });
const model = tfl.sequential({
  layers: [
    tfl.layers.flatten({ inputShape: [28, 28, 1] }),
    tfl.layers.dense({ units: 128, activation: 'relu' }),
    tfl.layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
// Seeded Glorot-uniform weights (tfjs initialisers are not seeded), zero biases.
for (const w of model.weights) {
  const shape = w.shape as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  const limit = shape.length === 2 ? Math.sqrt(6 / (shape[0]! + shape[1]!)) : 0;
  const t = tf.tensor(Float32Array.from({ length: size }, () => limit * (2 * rng.uniform() - 1)), shape);
  w.write(t);
  t.dispose();
}
const objective = await createModelObjective(model, data, { loss: Loss.ce });

function time<T>(label: string, fn: () => T, costOf: (r: T) => string): T {
  const t0 = performance.now();
  const r = fn();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(58)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${costOf(r)}`);
  return r;
}

// warm-up
objective.loss(objective.params);
const g = objective.grad(objective.params);
tf.dispose(g.grad);

const tensors = tf.memory().numTensors;
console.log(`backend ${tf.getBackend()}, ${objective.dimension} parameters, ${n} samples`);
const perLoss = time('1 loss evaluation x 20', () => { for (let i = 0; i < 20; i++) objective.loss(objective.params); }, () => '');
void perLoss;
time('1 gradient x 20', () => { for (let i = 0; i < 20; i++) tf.dispose(objective.grad(objective.params).grad); }, () => '');
for (const norm of ['l2', 'linf', 'box'] as const) {
  time(
    `ball --norm ${norm} --radius 0.01,0.05,0.1 (steps 20, restarts 2, samples 32)`,
    () => ballSharpness(objective, { norm, radii: [0.01, 0.05, 0.1], steps: 20, restarts: 2, samples: 32 }),
    (r) => `${r.cost.gradients} gradients, ${r.cost.lossEvaluations} losses; sharpness ${r.points.map((p) => p.sharpness.toPrecision(3)).join(', ')}`,
  );
}
time(
  'ball --norm l2 --adaptive --radius 0.05,0.5',
  () => ballSharpness(objective, { norm: 'l2', adaptive: true, radii: [0.05, 0.5], steps: 20, restarts: 2, samples: 32 }),
  (r) => `${r.cost.gradients} gradients, ${r.cost.lossEvaluations} losses`,
);
time(
  'volume --delta 0.1 --directions 20',
  () => flatVolume(objective, { delta: 0.1, directions: 20 }),
  (r) => `${r.cost.lossEvaluations} losses; logVolume ${r.logVolume.toExponential(4)}, gm radius ${r.geometricMeanRadius.toPrecision(3)}`,
);
time(
  'volume --delta 0.1 --directions 20 --norm filter --per-layer',
  () => flatVolume(objective, { delta: 0.1, directions: 20, norm: 'filter', ignore: ['bias', 'bn'], perLayer: true }),
  (r) => `${r.cost.lossEvaluations} losses; layers ${r.perLayer!.map((l) => l.layer).join(', ')}`,
);
console.log(`tensors before ${tensors}, after ${tf.memory().numTensors}`);
objective.dispose();
model.dispose();
