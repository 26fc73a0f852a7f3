/**
 * `swa` on ONNX checkpoints from the CLI: DIR/model.onnx (the first graph with the averaged
 * initializers and recomputed running statistics) plus the sidecar; loadCheckpoint and
 * `evaluate` read it back.
 */
import { mkdir, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { loadCheckpoint } from '../../src/formats/loadCheckpoint.ts';
import type { OnnxCheckpoint } from '../../src/formats/Checkpoint.ts';
import type { OnnxModel } from '../../src/formats/onnx/OnnxModel.ts';
import { sharpness, lines, STACK_FRAME } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

const FIX = 'fixtures/onnx/cnn_bn';
const DATA = `npy:${FIX}/x.npy,${FIX}/y.npy`;
let dir = '';
let other = '';
test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-cli-swa-onnx-');
  // A second checkpoint of the same graph: every parameter scaled and shifted.
  const c = (await loadCheckpoint(`${FIX}/model.onnx`)) as OnnxCheckpoint<OnnxModel>;
  const m = c.onnx;
  const params = m.params.map((p, i) => m.initialValue(p.name).map((v) => 0.8 * v + 0.01 * (i + 1)));
  const state = m.state.map((p) => m.initialValue(p.name));
  await mkdir(path.join(dir, 'other'));
  other = path.join(dir, 'other', 'other.onnx');
  await writeFile(other, m.serialize(params, state));
  c.dispose();
});

test('swa A.onnx B.onnx writes DIR/model.onnx: the mean of the parameters, the same graph, readable by evaluate', async (t) => {
  const out = path.join(dir, 'avg');
  const r = await sharpness(['swa', `${FIX}/model.onnx`, other, '--data', DATA, '--batch-size', '16', '--out', out, '--json', '--backend', 'cpu']);
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.is(doc.schema, 'sharpness/swa@1');
  t.deepEqual(doc.result.batchNormLayers, ['bn1.running_mean', 'bn2.running_mean']);
  t.deepEqual((await readdir(out)).sort(), ['model.onnx', 'sharpness.json']);
  const avg = (await loadCheckpoint(out)) as OnnxCheckpoint<OnnxModel>;
  const a = (await loadCheckpoint(`${FIX}/model.onnx`)) as OnnxCheckpoint<OnnxModel>;
  const b = (await loadCheckpoint(other)) as OnnxCheckpoint<OnnxModel>;
  t.is(avg.format, 'onnx');
  t.is(avg.sha256, doc.result.sha256);
  t.is(avg.sidecar?.method, 'swa');
  t.deepEqual((avg.sidecar?.['parents'] as { path: string }[]).map((p) => p.path), [`${FIX}/model.onnx`, other]);
  // The same graph: ops, initializer names and their classification.
  t.deepEqual(avg.onnx.opCounts, a.onnx.opCounts);
  for (const k of ['params', 'state', 'constants'] as const) t.deepEqual(avg.onnx[k], a.onnx[k], k);
  for (const p of a.onnx.params) {
    const got = avg.onnx.initialValue(p.name);
    const va = a.onnx.initialValue(p.name);
    const vb = b.onnx.initialValue(p.name);
    got.forEach((v, j) => t.is(v, Math.fround((va[j]! + vb[j]!) / 2), `${p.name}[${j}]`));
  }
  // The running statistics were recomputed (not the mean of the inputs').
  const rv = avg.onnx.initialValue('bn1.running_var');
  t.notDeepEqual(Array.from(rv), Array.from(a.onnx.initialValue('bn1.running_var')));
  [avg, a, b].forEach((c) => c.dispose());
  const ev = await sharpness(['evaluate', out, '--data', DATA, '--json', '--backend', 'cpu']);
  t.is(ev.status, 0, ev.stderr);
  const evDoc = JSON.parse(ev.stdout);
  const evLoss = evDoc.result.models[0].loss;
  t.true(Math.abs(evLoss - doc.result.train.loss) < 1e-6, `${evLoss} vs ${doc.result.train.loss}`);
  t.is(evDoc.checkpoints[0].sha256, doc.result.sha256);
});

test('swa refuses a mix of ONNX and layers checkpoints (exit 2, one line)', async (t) => {
  const r = await sharpness(['swa', `${FIX}/model.onnx`, 'fixtures/known-minima/linear-regression/model', '--data', DATA, '--out', path.join(dir, 'never'), '--backend', 'cpu']);
  t.is(r.status, 2, r.stderr);
  const err = lines(r.stderr).filter((l) => !l.startsWith('engine:'));
  t.is(err.length, 1, r.stderr);
  t.regex(err[0]!, /^sharpness: swa: the checkpoints mix formats \(.*model\.onnx: onnx, .*linear-regression\/model: layers-model\)/);
  t.notRegex(r.stderr, STACK_FRAME);
});
