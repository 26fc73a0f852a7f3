import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf, tfl } from '../../src/engine/tf.ts';
import { InputError, NumericError } from '../../src/errors.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { loadLayers as loadCheckpoint } from '../../src/formats/loadCheckpoint.ts';
import { type LayersCheckpoint as Checkpoint } from '../../src/formats/Checkpoint.ts';
import { FIXTURES, copyDir, snapshot, tmpDir } from './helpers/files.ts';
import { kerasWeight } from './helpers/makeIoFixtures.ts';

test.before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** Deterministic non-trivial values for every weight (BatchNorm statistics included; variances > 0). */
function setDeterministicWeights(model: tfl.LayersModel): void {
  const values = model.weights.map((w, k) => {
    const n = w.shape.reduce((a: number, b) => a * (b as number), 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.sin(1.3 * i + 0.7 * k) * 0.5 + (w.name.includes('variance') ? 1 : 0);
    return tf.tensor(a, w.shape as number[]);
  });
  model.setWeights(values);
  tf.dispose(values);
}

function sequentialModel(): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
      tfl.layers.batchNormalization(),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4 }),
    ],
  });
  setDeterministicWeights(m);
  return m;
}

function functionalModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [5] });
  const a = tfl.layers.dense({ units: 4, activation: 'tanh' }).apply(input) as tfl.SymbolicTensor;
  const b = tfl.layers.dense({ units: 4 }).apply(input) as tfl.SymbolicTensor;
  const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3 }).apply(sum) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: out });
  setDeterministicWeights(m);
  return m;
}

async function weightBytes(model: tfl.LayersModel): Promise<Buffer[]> {
  return Promise.all(model.weights.map(async (w) => Buffer.from(((await w.read().data()) as Float32Array).buffer)));
}

async function predictBytes(model: tfl.LayersModel, x: tf.Tensor): Promise<Buffer> {
  const y = model.predict(x) as tf.Tensor;
  const d = (await y.data()) as Float32Array;
  y.dispose();
  return Buffer.from(d.buffer);
}

async function roundTrip(t: import('ava').ExecutionContext, model: tfl.LayersModel, inputShape: number[]): Promise<Checkpoint> {
  const dir = path.join(tmpDir('ckpt'), 'ck');
  const saved = await saveCheckpoint(model, dir, { method: 'sgd', epoch: 3, seed: 7, metrics: { trainLoss: 0.25 } });
  t.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'sharpness.json', 'weights.bin']);
  const before = snapshot(dir);
  const ck = await loadCheckpoint(dir);
  t.deepEqual(snapshot(dir), before, 'loading must not change the checkpoint');
  t.is(ck.sha256, saved.sha256);
  t.is(ck.paramCount, saved.paramCount);
  t.deepEqual(await weightBytes(ck.model), await weightBytes(model));
  t.deepEqual(
    ck.weights.map((w) => w.name),
    model.weights.map((w) => w.originalName),
  );
  const n = inputShape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from({ length: 2 * n }, (_, i) => Math.cos(i)), [2, ...inputShape]);
  t.deepEqual(await predictBytes(ck.model, x), await predictBytes(model, x));
  x.dispose();
  t.deepEqual(ck.sidecar, { method: 'sgd', epoch: 3, seed: 7, metrics: { trainLoss: 0.25 } });
  return ck;
}

test('Sequential (Conv2D, BatchNormalization, Dense) round-trips bit-exactly', async (t) => {
  const m = sequentialModel();
  const ck = await roundTrip(t, m, [6, 6, 1]);
  // conv 3*3*1*3+3, BN 4*3 (2 trainable), dense 48*4+4
  t.is(ck.paramCount, 30 + 12 + 196);
  t.is(ck.trainableParamCount, 30 + 6 + 196);
  t.deepEqual(
    ck.weights.filter((w) => !w.trainable).map((w) => w.name.split('/')[1]),
    ['moving_mean', 'moving_variance'],
  );
});

test('functional model with Add round-trips bit-exactly', async (t) => {
  const ck = await roundTrip(t, functionalModel(), [5]);
  t.is(ck.paramCount, 24 + 24 + 15);
  t.truthy(ck.model.layers.some((l) => l.getClassName() === 'Add'));
});

test('sha256 depends on weights and topology, not on sharding or formatting', async (t) => {
  const m = functionalModel();
  const root = tmpDir('sha');
  const a = await saveCheckpoint(m, path.join(root, 'a'));
  // Same weights and topology, pretty-printed model.json and weights split in two shards.
  const b = path.join(root, 'b');
  copyDir(path.join(root, 'a'), b);
  const mj = JSON.parse(fs.readFileSync(path.join(b, 'model.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(b, 'weights.bin'));
  fs.writeFileSync(path.join(b, 'w1.bin'), bin.subarray(0, 10));
  fs.writeFileSync(path.join(b, 'w2.bin'), bin.subarray(10));
  fs.rmSync(path.join(b, 'weights.bin'));
  mj.weightsManifest[0].paths = ['w1.bin', 'w2.bin'];
  fs.writeFileSync(path.join(b, 'model.json'), JSON.stringify(mj, null, 3));
  t.is((await loadCheckpoint(b)).sha256, a.sha256);
  const m2 = functionalModel();
  const w = m2.getWeights();
  const changed = w.map((x, i) => (i === 0 ? tf.add(x, 1e-3) : x.clone()));
  m2.setWeights(changed);
  tf.dispose(changed);
  const c = await saveCheckpoint(m2, path.join(root, 'c'));
  t.not(c.sha256, a.sha256);
});

test('accepts the model.json path as well as the directory', async (t) => {
  const dir = path.join(tmpDir('path'), 'ck');
  await saveCheckpoint(functionalModel(), dir);
  const a = await loadCheckpoint(dir);
  const b = await loadCheckpoint(path.join(dir, 'model.json'));
  t.is(a.sha256, b.sha256);
});

test('loads a Keras checkpoint from the converter: two groups, a group in two shards', async (t) => {
  const dir = path.join(FIXTURES, 'keras-sequential');
  const before = snapshot(dir);
  const ck = await loadCheckpoint(dir);
  t.deepEqual(snapshot(dir), before);
  t.is(ck.modelJson.convertedBy, 'TensorFlow.js Converter v4.22.0');
  t.deepEqual(
    ck.weights.map((w) => [w.name, w.shape]),
    [
      ['dense/kernel', [4, 3]],
      ['dense/bias', [3]],
      ['dense_1/kernel', [3, 2]],
      ['dense_1/bias', [2]],
    ],
  );
  const vals = await Promise.all(ck.model.weights.map(async (w) => Array.from(await w.read().data())));
  vals.forEach((v, k) => v.forEach((x, i) => t.is(x, kerasWeight(k, i))));
  // Forward pass by hand: relu(x W0 + b0) W1 + b1 on x = [1, 2, 3, 4].
  const x = [1, 2, 3, 4];
  const h = [0, 1, 2].map((j) => Math.max(0, x.reduce((s, xi, i) => s + xi * vals[0]![i * 3 + j]!, vals[1]![j]!)));
  const want = [0, 1].map((j) => h.reduce((s, hi, i) => s + hi * vals[2]![i * 2 + j]!, vals[3]![j]!));
  const y = Array.from((ck.model.predict(tf.tensor([x])) as tf.Tensor).dataSync());
  y.forEach((v, j) => t.true(Math.abs(v - want[j]!) < 1e-5));
});

test('loads a Keras functional checkpoint from the converter', async (t) => {
  const ck = await loadCheckpoint(path.join(FIXTURES, 'keras-functional'));
  t.is(ck.paramCount, 15 + 15 + 8);
  t.deepEqual(ck.model.inputs[0]!.shape, [null, 4]);
  t.deepEqual(ck.model.outputs[0]!.shape, [null, 2]);
});

test('loads a checkpoint saved in a browser (my-model.json, ./my-model.weights.bin)', async (t) => {
  const ck = await loadCheckpoint(path.join(FIXTURES, 'browser-saved', 'my-model.json'));
  t.is(ck.paramCount, 8);
  t.is(ck.sidecar, undefined);
});

test('saveCheckpoint refuses a non-empty directory unless overwrite, then replaces it', async (t) => {
  const dir = path.join(tmpDir('over'), 'ck');
  const a = await saveCheckpoint(functionalModel(), dir, { epoch: 1 });
  const e = await t.throwsAsync(saveCheckpoint(sequentialModel(), dir), { instanceOf: InputError });
  t.true(e!.message.includes(`${dir} exists and is not empty`));
  t.is((await loadCheckpoint(dir)).sha256, a.sha256);
  const b = await saveCheckpoint(sequentialModel(), dir, { epoch: 2 }, { overwrite: true });
  const ck = await loadCheckpoint(dir);
  t.is(ck.sha256, b.sha256);
  t.is(ck.sidecar?.epoch, 2);
  t.deepEqual(fs.readdirSync(path.dirname(dir)), ['ck'], 'no temporary directories left behind');
});

test('saveCheckpoint refuses NaN weights and a bad sidecar', async (t) => {
  const m = functionalModel();
  const w = m.getWeights();
  const bad = w.map((x, i) => (i === 2 ? tf.fill(x.shape, NaN) : x.clone()));
  m.setWeights(bad);
  tf.dispose(bad);
  const dir = path.join(tmpDir('nan'), 'ck');
  const e = await t.throwsAsync(saveCheckpoint(m, dir), { instanceOf: NumericError });
  t.regex(e!.message, /has 20 non-finite values \(first at index 0\)/);
  t.false(fs.existsSync(dir));
  await t.throwsAsync(saveCheckpoint(functionalModel(), dir, { epoch: -1 }), {
    instanceOf: InputError,
    message: /saveCheckpoint sidecar has epoch -1; expected an integer >= 0/,
  });
});

// ---------------------------------------------------------------------------------------
// Bad inputs: each gives an InputError naming the file, and leaves the bytes unchanged.

type Mutate = (dir: string) => void;

let base: string;
test.before(async () => {
  base = path.join(tmpDir('base'), 'good');
  const m = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [4], units: 5, activation: 'relu' }), tfl.layers.dense({ units: 3 })],
  });
  setDeterministicWeights(m);
  await saveCheckpoint(m, base, { method: 'sgd' });
});

function editJson(file: string, f: (j: any) => void): void {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  f(j);
  fs.writeFileSync(file, JSON.stringify(j));
}

async function rejects(t: import('ava').ExecutionContext, mutate: Mutate, message: (dir: string) => string | RegExp, arg?: (dir: string) => string) {
  const root = tmpDir('bad');
  const dir = path.join(root, 'ck');
  copyDir(base, dir);
  mutate(dir);
  const before = snapshot(root);
  const err = await t.throwsAsync(loadCheckpoint(arg ? arg(dir) : dir));
  t.true(err instanceof InputError, `expected InputError, got ${err?.name}: ${err?.message}`);
  const want = message(dir);
  if (typeof want === 'string') t.true(err!.message.includes(want), `message: ${err!.message}\nwanted: ${want}`);
  else t.regex(err!.message, want);
  t.false(err!.message.includes('\n'), 'one-line message');
  t.deepEqual(snapshot(root), before, 'input bytes unchanged');
}

const mj = (dir: string) => path.join(dir, 'model.json');
const wb = (dir: string) => path.join(dir, 'weights.bin');

test('bad input: path does not exist', (t) =>
  rejects(t, () => undefined, (d) => `checkpoint: ${d}-nope does not exist`, (d) => `${d}-nope`));

test('bad input: missing model.json', (t) =>
  rejects(t, (d) => fs.rmSync(mj(d)), (d) => `checkpoint: ${mj(d)} does not exist`));

test('bad input: malformed model.json', (t) =>
  rejects(t, (d) => fs.writeFileSync(mj(d), '{"modelTopology": {'), (d) => `checkpoint: ${mj(d)} is not valid JSON`));

test('bad input: model.json is not an object', (t) =>
  rejects(t, (d) => fs.writeFileSync(mj(d), '[1,2]'), (d) => `checkpoint: ${mj(d)} is not a TensorFlow.js model.json`));

test('bad input: model.json without modelTopology', (t) =>
  rejects(t, (d) => editJson(mj(d), (j) => delete j.modelTopology), (d) => `checkpoint: ${mj(d)} has no modelTopology`));

test('bad input: model.json without weightsManifest', (t) =>
  rejects(t, (d) => editJson(mj(d), (j) => delete j.weightsManifest), (d) => `checkpoint: ${mj(d)} has no weightsManifest`));

test('bad input: graph model', (t) =>
  rejects(t, (d) => editJson(mj(d), (j) => (j.format = 'graph-model')), (d) => `checkpoint: ${mj(d)} is a graph model`));

test('bad input: unknown layer class', (t) =>
  rejects(
    t,
    (d) => editJson(mj(d), (j) => (j.modelTopology.config.layers[1].class_name = 'Foo')),
    (d) => `checkpoint: ${mj(d)} uses layer class 'Foo' which TensorFlow.js does not know`,
  ));

test('bad input: unknown initializer class (caught when building)', (t) =>
  rejects(
    t,
    (d) => editJson(mj(d), (j) => (j.modelTopology.config.layers[1].config.kernel_initializer.class_name = 'Bar')),
    (d) => `checkpoint: ${mj(d)} has a topology TensorFlow.js cannot build: Unknown initializer: Bar`,
  ));

test("bad input: manifest path with '..'", (t) =>
  rejects(
    t,
    (d) => {
      fs.renameSync(wb(d), path.join(d, '..', 'outside.bin'));
      editJson(mj(d), (j) => (j.weightsManifest[0].paths = ['../outside.bin']));
    },
    (d) => `checkpoint: ${mj(d)} lists weight file '../outside.bin', a path with '..'`,
  ));

test('bad input: absolute manifest path', (t) =>
  rejects(
    t,
    (d) => editJson(mj(d), (j) => (j.weightsManifest[0].paths = [path.resolve(wb(d))])),
    (d) => `checkpoint: ${mj(d)} lists weight file '${path.resolve(wb(d))}', an absolute path`,
  ));

test('bad input: weight file is a symlink leading out of the directory', (t) =>
  rejects(
    t,
    (d) => {
      const outside = path.join(d, '..', 'elsewhere.bin');
      fs.renameSync(wb(d), outside);
      fs.symlinkSync(outside, wb(d));
    },
    (d) => new RegExp(`checkpoint: weight file ${wb(d).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} listed in .* resolves to .*elsewhere\\.bin, outside the checkpoint directory`),
  ));

test('a symlink that stays inside the directory is fine', async (t) => {
  const dir = path.join(tmpDir('link'), 'ck');
  copyDir(base, dir);
  fs.mkdirSync(path.join(dir, 'data'));
  fs.renameSync(wb(dir), path.join(dir, 'data', 'w.bin'));
  fs.symlinkSync(path.join('data', 'w.bin'), wb(dir));
  const ck = await loadCheckpoint(dir);
  t.is(ck.paramCount, 4 * 5 + 5 + 5 * 3 + 3);
});

test('bad input: missing weight file', (t) =>
  rejects(t, (d) => fs.rmSync(wb(d)), (d) => `checkpoint: weight file ${wb(d)} listed in ${mj(d)} does not exist`));

test('bad input: truncated weight file', (t) =>
  rejects(
    t,
    (d) => fs.truncateSync(wb(d), 100),
    (d) => `checkpoint: ${wb(d)} has 100 bytes but ${mj(d)} lists 4 tensors (group 1) that need 172 bytes; the weight data is truncated`,
  ));

test('bad input: oversized weight file', (t) =>
  rejects(t, (d) => fs.appendFileSync(wb(d), Buffer.alloc(8)), (d) => `checkpoint: ${wb(d)} has 180 bytes but ${mj(d)} lists 4 tensors (group 1) that need 172 bytes; the weight data is too large`));

test('bad input: NaN weights are named', (t) =>
  rejects(
    t,
    (d) => {
      const b = fs.readFileSync(wb(d));
      // dense_1 kernel [5,3] starts after dense kernel [4,5] and bias [5]: 25 floats.
      for (const i of [2, 3, 5]) b.writeFloatLE(i === 3 ? Infinity : NaN, (25 + i) * 4);
      fs.writeFileSync(wb(d), b);
    },
    (d) => new RegExp(`checkpoint: weight dense_Dense\\d+/kernel in ${wb(d).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has 3 non-finite values \\(first at index 2\\)`),
  ));

test('bad input: Inf in a bias', (t) =>
  rejects(
    t,
    (d) => {
      const b = fs.readFileSync(wb(d));
      b.writeFloatLE(-Infinity, 20 * 4);
      fs.writeFileSync(wb(d), b);
    },
    (d) => new RegExp(`weight dense_Dense\\d+/bias in ${wb(d).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has 1 non-finite value \\(first at index 0\\)`),
  ));

test('bad input: dtype mismatch', (t) =>
  rejects(
    t,
    (d) => editJson(mj(d), (j) => (j.weightsManifest[0].weights[1].dtype = 'int32')),
    (d) => new RegExp(`weight dense_Dense\\d+/bias in .*weights\\.bin has dtype int32 but the model in ${mj(d).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} expects float32`),
  ));

test('bad input: unsupported dtype', (t) =>
  rejects(
    t,
    (d) => editJson(mj(d), (j) => (j.weightsManifest[0].weights[1].dtype = 'string')),
    (d) => new RegExp(`weight dense_Dense\\d+/bias in ${mj(d).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has dtype 'string', which sharpness cannot load`),
  ));

test('bad input: shape mismatch with the same byte size', (t) =>
  rejects(
    t,
    (d) => editJson(mj(d), (j) => (j.weightsManifest[0].weights[0].shape = [5, 4])),
    (d) => new RegExp(`weight dense_Dense\\d+/kernel in .*weights\\.bin has shape \\[5,4\\] but the model in ${mj(d).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} expects \\[4,5\\]`),
  ));

test('bad input: shape mismatch that changes the size is caught by the size check', (t) =>
  rejects(t, (d) => editJson(mj(d), (j) => (j.weightsManifest[0].weights[0].shape = [4, 6])), (d) => `checkpoint: ${wb(d)} has 172 bytes but`));

test('bad input: manifest weight that the model does not have', (t) =>
  rejects(
    t,
    (d) => editJson(mj(d), (j) => (j.weightsManifest[0].weights[3].name = 'nope/bias')),
    (d) => `checkpoint: weight nope/bias in ${wb(d)} matches no weight of the model that ${mj(d)} describes`,
  ));

test('bad input: model weight missing from the manifest', async (t) => {
  await rejects(
    t,
    (d) => {
      editJson(mj(d), (j) => j.weightsManifest[0].weights.pop());
      fs.truncateSync(wb(d), 172 - 12);
    },
    (d) => new RegExp(`checkpoint: ${mj(d).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} describes a model whose weight dense_Dense\\d+/bias is missing from its weights manifest`),
  );
});

test('bad input: malformed shape in the manifest', (t) =>
  rejects(t, (d) => editJson(mj(d), (j) => (j.weightsManifest[0].weights[0].shape = [4, -5])), (d) => `in ${mj(d)} has shape [4,-5]; expected a list of integers >= 0`));

test('bad input: malformed sharpness.json', (t) =>
  rejects(t, (d) => fs.writeFileSync(path.join(d, 'sharpness.json'), '{epoch: 3}'), (d) => `checkpoint: ${path.join(d, 'sharpness.json')} is not valid JSON`));

test('bad input: sharpness.json with a bad field', (t) =>
  rejects(
    t,
    (d) => fs.writeFileSync(path.join(d, 'sharpness.json'), JSON.stringify({ metrics: { acc: 'high' } })),
    (d) => `checkpoint: ${path.join(d, 'sharpness.json')} has metrics.acc 'high'; expected a finite number`,
  ));

test('quantized weights (uint8, float16) from the converter load dequantized', async (t) => {
  const dir = path.join(tmpDir('quant'), 'ck');
  copyDir(path.join(FIXTURES, 'browser-saved'), dir);
  editJson(path.join(dir, 'my-model.json'), (j) => {
    j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', scale: 0.01, min: -1 };
    j.weightsManifest[0].weights[1].quantization = { dtype: 'float16' };
  });
  const b = Buffer.alloc(6 + 4);
  for (let i = 0; i < 6; i++) b[i] = i * 40;
  b.writeUInt16LE(0x3c00, 6); // 1.0
  b.writeUInt16LE(0xc000, 8); // -2.0
  fs.writeFileSync(path.join(dir, 'my-model.weights.bin'), b);
  const ck = await loadCheckpoint(path.join(dir, 'my-model.json'));
  const [k, bias] = ck.model.weights.map((w) => Array.from(w.read().dataSync()));
  k!.forEach((v, i) => t.true(Math.abs(v - (-1 + 0.4 * i)) < 1e-6));
  t.deepEqual(bias, [1, -2]);
  b.writeUInt16LE(0x7c00, 8); // +Inf in float16
  fs.writeFileSync(path.join(dir, 'my-model.weights.bin'), b);
  await t.throwsAsync(loadCheckpoint(path.join(dir, 'my-model.json')), { instanceOf: InputError, message: /weight dense_Dense1\/bias in .* has 1 non-finite value \(first at index 1\)/ });
});

test.serial('no tensors leak across loads, failed loads included', async (t) => {
  const dir = path.join(FIXTURES, 'keras-functional');
  const bad = path.join(tmpDir('leak'), 'ck');
  copyDir(base, bad);
  editJson(path.join(bad, 'model.json'), (j) => (j.weightsManifest[0].weights[0].shape = [5, 4]));
  (await loadCheckpoint(dir)).model.dispose(); // warm-up
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    (await loadCheckpoint(dir)).model.dispose();
    await t.throwsAsync(loadCheckpoint(bad), { instanceOf: InputError });
  }
  t.is(tf.memory().numTensors, before);
});

test('a directory without model.json but with another .json gets a hint', async (t) => {
  await t.throwsAsync(loadCheckpoint(path.join(FIXTURES, 'browser-saved')), {
    instanceOf: InputError,
    message: /browser-saved\/model\.json does not exist; .* \(found my-model\.json: pass the path of the model's \.json file instead\)/,
  });
});
