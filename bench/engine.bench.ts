/**
 * Engine benchmark (not a test): forward loss over 1000 samples, one gradient and one HVP
 * at batch 128 and 1000, for the MLP and CNN of ENGINE-NOTES.md, per backend.
 * Prints a table and writes bench/results/engine.json.
 *
 *   node --import=tsx bench/engine.bench.ts [--backends cpu,wasm] [--reps 5]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tf, tfl } from '../src/engine/tf.ts';
import { initEngine } from '../src/engine/backend.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { createModelObjective } from '../src/objective/modelObjective.ts';
import { Loss } from '../src/objective/losses.ts';
import * as pv from '../src/engine/paramVector.ts';
import { createRng } from '../src/engine/rng.ts';
import type { Dataset } from '../src/io/dataset.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const backends = arg('backends', 'cpu,wasm').split(',') as ('cpu' | 'wasm')[];
const reps = Number(arg('reps', '5'));

const L = tfl.layers;
const MODELS = {
  mlp: () =>
    tfl.sequential({
      layers: [L.flatten({ inputShape: [28, 28, 1] }), L.dense({ units: 128, activation: 'relu' }), L.dense({ units: 10 })],
    }),
  cnn: () =>
    tfl.sequential({
      layers: [
        L.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3 }),
        L.batchNormalization({}),
        L.activation({ activation: 'relu' }),
        L.maxPooling2d({ poolSize: 2 }),
        L.flatten(),
        L.dense({ units: 10 }),
      ],
    }),
};

function subset(d: Dataset, n: number): Dataset {
  const per = d.sampleShape.reduce((a, b) => a * b, 1);
  const t = d.targets;
  return {
    ...d,
    spec: `${d.spec}[:${n}]`,
    n,
    x: d.x.subarray(0, n * per),
    targets: t.kind === 'classes' ? { ...t, labels: t.labels.subarray(0, n) } : { ...t, values: t.values.subarray(0, n * t.dim) },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => void, repsCount: number): Promise<number> {
  fn(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < repsCount; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const data = await loadDataset('mnist:train:1000');
const rows: Record<string, unknown>[] = [];
for (const backend of backends) {
  await initEngine({ backend });
  for (const [name, build] of Object.entries(MODELS)) {
    const model = build();
    const row: Record<string, unknown> = { backend, model: name, params: model.countParams() };
    const r = backend === 'cpu' ? Math.min(reps, 3) : reps;
    const full = await createModelObjective(model, data, { loss: Loss.ce, batchSize: 1000 });
    row['fwd1000'] = await time(() => full.loss(full.params), r);
    for (const n of [128, 1000]) {
      const o = await createModelObjective(model, subset(data, n), { loss: Loss.ce, batchSize: n });
      const v = pv.randomNormal(o.shapes, createRng(1));
      row[`grad${n}`] = await time(() => pv.dispose(o.grad(o.params).grad), r);
      row[`hvp${n}`] = await time(() => pv.dispose(o.hvp(o.params, v)), r);
      pv.dispose(v);
      o.dispose();
    }
    full.dispose();
    model.dispose();
    rows.push(row);
    const f = (k: string) => (row[k] as number).toFixed(1);
    console.log(
      `${backend.padEnd(5)} ${name}  fwd1000 ${f('fwd1000')} ms  grad128 ${f('grad128')}  hvp128 ${f('hvp128')}  grad1000 ${f('grad1000')}  hvp1000 ${f('hvp1000')}  hvp/grad@1000 ${((row['hvp1000'] as number) / (row['grad1000'] as number)).toFixed(2)}`,
    );
  }
}
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/engine.json', `${JSON.stringify({ date: new Date().toISOString(), tfjs: tf.version_core, rows }, null, 2)}\n`);
console.log('wrote bench/results/engine.json');
