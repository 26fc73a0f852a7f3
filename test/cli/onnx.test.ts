/**
 * ONNX checkpoints through the CLI, as a PyTorch user runs them (README "Models from
 * PyTorch"): info, the measures against the fixtures' float64 goldens, a landscape, a
 * report from the results, and bad files.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, sharpness } from '../helpers/cli.ts';
import { onnxOpsBlock, README_OPS_END, README_OPS_START } from '../../src/formats/onnx/readmeOps.ts';

const MLP = path.join(ROOT, 'fixtures/onnx/mlp');
const CNN = path.join(ROOT, 'fixtures/onnx/cnn_bn');
const golden = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'golden.json'), 'utf8'));
const tmp = () => mkdtempSync(path.join(tmpdir(), 'sharpness-onnx-'));

test('info lists parameters with their PyTorch names, BatchNorm state apart, and the ops', async (t) => {
  const r = await sharpness(['info', path.join(CNN, 'model.onnx'), '--json', '--quiet']);
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.is(doc.result.format, 'onnx');
  t.deepEqual(doc.result.params.map((p: { name: string }) => p.name), golden(CNN).paramNames);
  t.deepEqual(doc.result.state.map((p: { name: string }) => p.name), ['bn1.running_mean', 'bn1.running_var', 'bn2.running_mean', 'bn2.running_var']);
  t.is(doc.result.trainableParameters, golden(CNN).paramCount);
  t.is(doc.result.ops.BatchNormalization, 2);
});

test('evaluate and hessian on an exported MLP give PyTorch\'s loss and top eigenvalues; a report draws from the results', async (t) => {
  const out = tmp();
  const g = golden(MLP);
  const ev = await sharpness(['evaluate', 'model.onnx', '--data', 'npy:x.npy,y.npy', '--json', '--quiet', '--out', path.join(out, 'eval.json')], { cwd: MLP });
  t.is(ev.status, 0, ev.stderr);
  t.true(Math.abs(JSON.parse(ev.stdout).result.models[0].loss - g.loss) < 1e-6);
  const h = await sharpness(['hessian', 'model.onnx', '--data', 'npy:x.npy,y.npy', '--top-k', '2', '--tol', '1e-6', '--json', '--quiet', '--out', path.join(out, 'hessian.json')], { cwd: MLP });
  t.is(h.status, 0, h.stderr);
  const eig = JSON.parse(h.stdout).result.eigenvalues as number[];
  for (let k = 0; k < 2; k++) t.true(Math.abs(eig[k]! - g.topEigenvalues[k]) < 1e-4 * g.topEigenvalues[0], `${eig[k]} vs ${g.topEigenvalues[k]}`);
  const rep = await sharpness(['report', path.join(out, 'eval.json'), path.join(out, 'hessian.json'), '--out', path.join(out, 'report'), '--quiet']);
  t.is(rep.status, 0, rep.stderr);
  t.true(existsSync(path.join(out, 'report', 'index.html')));
});

test('a landscape line through an ONNX model with BatchNorm reproduces its loss at both ends', async (t) => {
  const r = await sharpness(['landscape', 'model.onnx', '--to', 'model.onnx', '--range', '0:1:3', '--data', 'npy:x.npy,y.npy', '--json', '--quiet'], { cwd: CNN });
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const losses = JSON.stringify(doc.result).match(/"trainLoss":([0-9.e-]+)/g)!.map((m) => Number(m.split(':')[1]));
  t.true(losses.length >= 3);
  for (const l of losses) t.true(Math.abs(l - golden(CNN).loss) < 1e-5, `${l}`);
});

test('bad ONNX files: one line, exit 2, nothing echoed', async (t) => {
  const dir = tmp();
  writeFileSync(path.join(dir, 'junk.onnx'), Buffer.from('\x08\x07SECRET-BYTES\xff\xff\xff'));
  const r = await sharpness(['hessian', path.join(dir, 'junk.onnx'), '--data', 'mnist:test:10']);
  t.is(r.status, 2);
  t.is(r.stderr.trim().split('\n').filter((l) => l.startsWith('sharpness:')).length, 1);
  t.false(r.stderr.includes('SECRET'));
  // NHWC data for an NCHW model: the message says how to transpose
  copyFileSync(path.join(CNN, 'model.onnx'), path.join(dir, 'cnn.onnx'));
  const n = await sharpness(['evaluate', path.join(dir, 'cnn.onnx'), '--data', 'mnist:test:10']);
  t.is(n.status, 2);
  t.regex(n.stderr, /expects \[1,8,8\]/);
});

test('the README lists exactly the ops of the op table (npm run onnx-ops)', (t) => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const a = readme.indexOf(README_OPS_START) + README_OPS_START.length;
  const b = readme.indexOf(README_OPS_END);
  t.is(readme.slice(a, b).trim(), onnxOpsBlock());
});

test('--out beside an .onnx file is fine; --out onto it is refused before anything runs', async (t) => {
  const dir = tmp();
  copyFileSync(path.join(MLP, 'model.onnx'), path.join(dir, 'sgd.onnx'));
  copyFileSync(path.join(MLP, 'x.npy'), path.join(dir, 'x.npy'));
  copyFileSync(path.join(MLP, 'y.npy'), path.join(dir, 'y.npy'));
  const ok = await sharpness(['evaluate', 'sgd.onnx', '--data', 'npy:x.npy,y.npy', '--out', 'sgd.evaluate.json', '--quiet'], { cwd: dir });
  t.is(ok.status, 0, ok.stderr);
  t.true(existsSync(path.join(dir, 'sgd.evaluate.json')));
  const before = readFileSync(path.join(dir, 'sgd.onnx'));
  const bad = await sharpness(['evaluate', 'sgd.onnx', '--data', 'npy:x.npy,y.npy', '--out', 'sgd.onnx'], { cwd: dir });
  t.is(bad.status, 2);
  t.regex(bad.stderr, /would overwrite the input sgd\.onnx/);
  t.deepEqual(readFileSync(path.join(dir, 'sgd.onnx')), before);
});
