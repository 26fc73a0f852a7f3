import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tf, type Tensor } from '../../src/engine/tf.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { loadLayers as loadCheckpoint } from '../../src/formats/loadCheckpoint.ts';
import { loadDataset } from '../../src/io/dataset.ts';
import { cnn } from '../../src/models/cnn.ts';
import { flatWeights } from '../../src/training/modelWeights.ts';
import { sharpness, lines, STACK_FRAME } from '../helpers/cli.ts';
import { tempDir, saveMnistMlp } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

let dir = '';
const ckpts: string[] = [];
test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-cli-swa-');
  for (const seed of [1, 2, 3]) {
    const m = cnn([28, 28, 1], 10, seed);
    const p = path.join(dir, `cnn-${seed}`);
    await saveCheckpoint(m, p, { method: 'sgd', seed });
    m.dispose();
    ckpts.push(p);
  }
});

test('swa CKPT... averages every trainable weight and recomputes BatchNorm on --data; the sidecar names the parents', async (t) => {
  const out = path.join(dir, 'avg');
  const r = await sharpness(['swa', ...ckpts, '--data', 'mnist:train:200', '--out', out, '--json', '--backend', 'cpu']);
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.is(doc.schema, 'sharpness/swa@1');
  t.is(doc.result.members, 3);
  t.deepEqual(doc.result.batchNormLayers, ['bn1']);
  t.is(doc.checkpoints.length, 3);
  const avg = await loadCheckpoint(out);
  const inputs = await Promise.all(ckpts.map((p) => loadCheckpoint(p)));
  // Trainable weights: the mean of the inputs'.
  avg.model.trainableWeights.forEach((w, i) => {
    const got = w.read().dataSync();
    const vals = inputs.map((c) => c.model.trainableWeights[i]!.read().dataSync());
    for (let j = 0; j < got.length; j++) {
      const mean = (vals[0]![j]! + vals[1]![j]! + vals[2]![j]!) / 3;
      t.true(Math.abs(got[j]! - mean) < 1e-6, `${w.originalName}[${j}]`);
    }
  });
  // BatchNorm: the statistics of the averaged conv's output over the data.
  const data = await loadDataset('mnist:train:200');
  const pre = tf.tidy(() => avg.model.getLayer('conv1').apply(tf.tensor(data.x, [200, 28, 28, 1])) as Tensor);
  const v = pre.dataSync();
  const mean = new Array(8).fill(0);
  for (let k = 0; k < v.length; k++) mean[k % 8] += v[k]! / (v.length / 8);
  const bn = avg.model.getLayer('bn1');
  const mm = bn.weights.find((w) => w.originalName.endsWith('moving_mean'))!.read().dataSync();
  mean.forEach((m, j) => t.true(Math.abs(mm[j]! - m) < 1e-5 * (1 + Math.abs(m)), `moving_mean ${j}`));
  pre.dispose();
  const side = JSON.parse(await readFile(path.join(out, 'sharpness.json'), 'utf8'));
  t.is(side.method, 'swa');
  t.deepEqual(side.parents.map((p: { path: string }) => p.path), ckpts);
  t.is(side.parents[0].sha256.length, 64);
  t.true(flatWeights(avg.model).every(Number.isFinite));
  [avg, ...inputs].forEach((c) => c.model.dispose());
});

test('swa refuses checkpoints of different architectures, naming the first difference (exit 2, one line)', async (t) => {
  const mlp = await saveMnistMlp(path.join(dir, 'mlp'), 1);
  const r = await sharpness(['swa', ckpts[0]!, mlp, '--data', 'mnist:train:20', '--out', path.join(dir, 'never'), '--backend', 'cpu']);
  t.is(r.status, 2, r.stderr);
  const err = lines(r.stderr).filter((l) => !l.startsWith('engine:'));
  t.is(err.length, 1, r.stderr);
  t.regex(err[0]!, /swa: the checkpoints have different architectures: .*conv1\/kernel.* in .*cnn-1 but .* in .*mlp/);
  t.notRegex(r.stderr, STACK_FRAME);
});

test('swa needs two checkpoints and an --out outside its inputs', async (t) => {
  const r = await sharpness(['swa', ckpts[0]!, '--data', 'mnist:train:20', '--out', path.join(dir, 'x'), '--backend', 'cpu']);
  t.is(r.status, 2);
  t.regex(r.stderr, /at least 2 checkpoints/);
  const r2 = await sharpness(['swa', ckpts[0]!, ckpts[1]!, '--data', 'mnist:train:20', '--out', path.join(ckpts[0]!, 'avg'), '--backend', 'cpu']);
  t.is(r2.status, 2);
  t.regex(r2.stderr, /inside the input checkpoint/);
});
