/**
 * `train --init model.onnx` from the CLI: the run's checkpoints are ONNX graphs (the same
 * graph with trained initializers) that `evaluate` reads.
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { sharpness, lines, STACK_FRAME } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';

const FIX = 'fixtures/onnx/cnn_bn';
const DATA = `npy:${FIX}/x.npy,${FIX}/y.npy`;
const exists = (p: string) => access(p).then(() => true, () => false);
let dir = '';
test.before(async () => {
  dir = await tempDir('sharpness-cli-train-onnx-');
});

test('train --init model.onnx writes ONNX checkpoints that evaluate reads', async (t) => {
  const out = path.join(dir, 'run');
  const r = await sharpness(['train', '--init', `${FIX}/model.onnx`, '--data', DATA, '--epochs', '1', '--batch-size', '16', '--lr', '0.05', '--out', out, '--json', '--backend', 'cpu']);
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.is(doc.schema, 'sharpness/train@1');
  t.is(doc.result.iterations, 3);
  t.is(doc.checkpoint.trainableParameters, 450);
  const final = doc.result.solutions.final;
  t.is(final.path, path.join(out, 'final'));
  t.true(await exists(path.join(out, 'final', 'model.onnx')));
  t.true(await exists(path.join(out, 'state', 'epoch-1', 'model.onnx')));
  t.false(await exists(path.join(out, 'final', 'model.json')));
  const side = JSON.parse(await readFile(path.join(out, 'final', 'sharpness.json'), 'utf8'));
  t.is(side.method, 'sgd');
  t.is(side.parent, `${FIX}/model.onnx`);
  const ev = await sharpness(['evaluate', path.join(out, 'final'), '--data', DATA, '--json', '--backend', 'cpu']);
  t.is(ev.status, 0, ev.stderr);
  const e = JSON.parse(ev.stdout);
  t.is(e.checkpoints[0].sha256, final.sha256);
  t.true(Math.abs(e.result.models[0].loss - final.train.loss) < 1e-6, `${e.result.models[0].loss} vs ${final.train.loss}`);
  const init = await sharpness(['evaluate', `${FIX}/model.onnx`, '--data', DATA, '--json', '--backend', 'cpu']);
  t.not(JSON.parse(init.stdout).result.models[0].loss, e.result.models[0].loss, 'the weights moved');
});

test('train --init model.onnx refuses --model (exit 2, one line)', async (t) => {
  const r = await sharpness(['train', '--model', 'mlp', '--init', `${FIX}/model.onnx`, '--data', DATA, '--epochs', '1', '--out', path.join(dir, 'never'), '--backend', 'cpu']);
  t.is(r.status, 2, r.stderr);
  const err = lines(r.stderr).filter((l) => !l.startsWith('engine:'));
  t.is(err.length, 1, r.stderr);
  t.regex(err[0]!, /train: --init .*model\.onnx is an ONNX graph, which trains with its own architecture; drop --model/);
  t.notRegex(r.stderr, STACK_FRAME);
});
