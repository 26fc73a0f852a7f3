/**
 * What each engine speed-up buys (not a test): loss, gradient and HVP of a built-in model
 * with every speed-up off, then switched on one by one (cumulative), then all on but one.
 * All configurations run interleaved in one process; times are CPU milliseconds (medians),
 * which a busy machine disturbs less than wall time. Values are printed to show they agree.
 *
 *   node --import=tsx bench/engineAblation.ts [--model cnn] [--n 1000] [--reps 7] [--backend wasm]
 */
import { tf } from '../src/engine/tf.ts';
import { initEngine } from '../src/engine/backend.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { buildBuiltinModel, type BuiltinModel } from '../src/models/builtinModels.ts';
import { createModelObjective } from '../src/objective/modelObjective.ts';
import { Loss } from '../src/objective/losses.ts';
import * as pv from '../src/engine/paramVector.ts';
import { createRng } from '../src/engine/rng.ts';
import { useWasmFastKernels } from '../src/engine/wasmFastKernels.ts';
import { useUnfusedGradientMode } from '../src/engine/unfusedGradientMode.ts';
import { ORIGINAL_GRADIENTS } from '../src/engine/secondOrderGradients.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const model = arg('model', 'cnn') as BuiltinModel;
const n = Number(arg('n', '1000'));
const reps = Number(arg('reps', '7'));
await initEngine({ backend: arg('backend', 'wasm') as 'wasm' | 'cpu' });

const ourBatchNormGradient = tf.getGradient('FusedBatchNorm')!;
/** The speed-ups, in the order they are switched on. */
const SPEEDUPS: Record<string, string[]> = {
  batchNormGradient: [],
  matMulTranspose: ['BatchMatMul'],
  zeroCopy: ['Identity', 'Cast'],
  unfused: [],
  tiledBroadcast: ['Multiply', 'Add', 'Sub', 'RealDiv'],
  fusedBatchNorm: ['FusedBatchNorm'],
  leadingSum: ['Sum', 'Mean'],
  gather: ['GatherV2'],
};
const names = Object.keys(SPEEDUPS);

function apply(on: readonly string[]): void {
  useWasmFastKernels(on.flatMap((s) => SPEEDUPS[s]!));
  useUnfusedGradientMode(on.includes('unfused'));
  tf.registerGradient(on.includes('batchNormGradient') ? ourBatchNormGradient : ORIGINAL_GRADIENTS.get('FusedBatchNorm')!);
}

const configs: [string, string[]][] = [['none', []]];
names.forEach((_, i) => configs.push([`+${names[i]}`, names.slice(0, i + 1)]));
names.forEach((s) => configs.push([`all but ${s}`, names.filter((x) => x !== s)]));

const data = await loadDataset(`mnist:train:${n}`);
const o = await createModelObjective(buildBuiltinModel(model, data.sampleShape, 10, 1), data, { loss: Loss.ce, batchSize: n });
const v = pv.randomNormal(o.shapes, createRng(1));
const fns: Record<string, () => void> = {
  loss: () => o.loss(o.params),
  grad: () => pv.dispose(o.grad(o.params).grad),
  hvp: () => pv.dispose(o.hvp(o.params, v)),
};
const cpuMs = (f: () => void) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
const times = new Map(configs.map(([label]) => [label, Object.fromEntries(Object.keys(fns).map((k) => [k, [] as number[]]))]));
for (const [, on] of configs) {
  apply(on);
  for (const f of Object.values(fns)) f();
}
for (let r = 0; r < reps; r++) {
  for (const [label, on] of configs) {
    apply(on);
    for (const [k, f] of Object.entries(fns)) times.get(label)![k]!.push(cpuMs(f));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`${model} on ${tf.getBackend()}, batch ${n}: CPU ms, medians of ${reps} (interleaved)`);
console.log(`${'configuration'.padEnd(28)}${['loss', 'grad', 'hvp'].map((k) => k.padStart(9)).join('')}   v.Hv`);
for (const [label, on] of configs) {
  apply(on);
  const hv = o.hvp(o.params, v);
  const vhv = pv.dot(v, hv);
  pv.dispose(hv);
  const t = times.get(label)!;
  console.log(`${label.padEnd(28)}${['loss', 'grad', 'hvp'].map((k) => median(t[k]!).toFixed(1).padStart(9)).join('')}   ${vhv.toPrecision(7)}`);
}
apply(names);
pv.dispose(v);
o.dispose();
