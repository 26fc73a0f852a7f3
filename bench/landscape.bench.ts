/**
 * Landscape benchmark (not a test): seconds per point and in all for the default grids on
 * MNIST-sized work, and the overhead of evaluating with all weights set per point (lines
 * through BatchNorm checkpoints, --bn recompute) against setting the trainable weights of
 * one objective.
 *
 *   node --import=tsx bench/landscape.bench.ts [--backend wasm|cpu] [--samples 1000] [--grid 21]
 */
import { tfl } from '../src/engine/tf.ts';
import { initEngine } from '../src/engine/backend.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { Loss } from '../src/objective/losses.ts';
import { recomputeBatchNormInPlace } from '../src/training/recomputeBatchNorm.ts';
import { createLandscape, type LandscapeCheckpoint } from '../src/landscape/createLandscape.ts';
import { resolveLandscapeSpec, type LandscapeRequest } from '../src/landscape/landscapeOptions.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const backend = arg('backend', 'wasm') as 'wasm' | 'cpu';
const samples = Number(arg('samples', '1000'));
const grid = Number(arg('grid', '21'));

const L = tfl.layers;

const MODELS = {
  mlp: () => tfl.sequential({ layers: [L.flatten({ inputShape: [28, 28, 1] }), L.dense({ units: 128, activation: 'relu' }), L.dense({ units: 10 })] }),
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

const info = await initEngine({ backend });
const data = await loadDataset(`mnist:test:${samples}`);
const ck = (m: tfl.LayersModel, label: string): LandscapeCheckpoint => ({ model: m, label, path: label, sha256: label });
const base: Omit<LandscapeRequest, 'checkpoint'> = { data: data.spec, loss: 'ce', bn: 'eval', l2: 0, batchSize: 1000, seed: 0 };

interface Row {
  case: string;
  mode: string;
  items: number;
  seconds: number;
  msPerItem: number;
}
const rows: Row[] = [];

async function run(name: string, over: Partial<LandscapeRequest>, models: tfl.LayersModel[]): Promise<void> {
  const spec = resolveLandscapeSpec({ ...base, checkpoint: 'a', ...over });
  const ls = await createLandscape({ spec, checkpoints: models.map((m, k) => ck(m, `m${k}`)), data, loss: Loss.ce, recomputeBatchNorm: recomputeBatchNormInPlace });
  await ls.evaluateItem(0); // warm-up
  const indices = Array.from({ length: ls.frame.itemCount }, (_, i) => i);
  const t0 = performance.now();
  for (const i of indices) await ls.evaluateItem(i);
  const seconds = (performance.now() - t0) / 1000;
  rows.push({ case: name, mode: ls.mode, items: indices.length, seconds: +seconds.toFixed(2), msPerItem: +((1000 * seconds) / indices.length).toFixed(1) });
  ls.dispose();
}

const mlpA = MODELS.mlp();
const mlpB = MODELS.mlp();
const cnnA = MODELS.cnn();
const cnnB = MODELS.cnn();
await run(`mlp random-plane ${grid}x${grid}`, { randomPlane: true, range: `-1:1:${grid}` }, [mlpA]);
await run(`mlp rays 10 x ${grid}`, { rays: 10, range: `0:1:${grid}` }, [mlpA]);
await run(`mlp line ${grid}`, { to: 'b', range: `-0.5:1.5:${grid}` }, [mlpA, mlpB]);
await run(`cnn+bn line ${grid}, --bn train (one objective)`, { to: 'b', range: `-0.5:1.5:${grid}`, bn: 'train' }, [cnnA, cnnB]);
await run(`cnn+bn line ${grid}, statistics interpolated`, { to: 'b', range: `-0.5:1.5:${grid}` }, [cnnA, cnnB]);
await run(`cnn+bn line ${grid}, --bn recompute`, { to: 'b', range: `-0.5:1.5:${grid}`, bn: 'recompute' }, [cnnA, cnnB]);

process.stdout.write(`landscape benchmark: ${info.backend} (${info.threads} thread${info.threads === 1 ? '' : 's'}), ${data.spec}\n`);
console.table(rows);
