import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { sharpness, lines, STACK_FRAME } from '../helpers/cli.ts';
import { tempDir, saveMnistMlp } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { sha256File } from '../../src/io/sha256.ts';

let dir = '';
let a = '';
let b = '';
test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir();
  a = await saveMnistMlp(path.join(dir, 'a'), 1);
  b = await saveMnistMlp(path.join(dir, 'b'), 2);
});

test('evaluate: per-checkpoint loss and accuracy and the ensemble, as a result document; inputs unchanged', async (t) => {
  const before = await sha256File(path.join(a, 'weights.bin'));
  const out = path.join(dir, 'eval.json');
  const r = await sharpness(['evaluate', a, b, '--data', 'mnist:test:300', '--ensemble', '--json', '--backend', 'cpu', '--out', out]);
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.is(doc.schema, 'sharpness/evaluate@1');
  t.is(doc.command, 'evaluate');
  t.is(doc.seed, 0);
  t.is(doc.data.spec, 'mnist:test:300');
  t.is(doc.data.samples, 300);
  t.is(doc.loss, 'ce');
  t.is(doc.engine.backend, 'cpu');
  t.is(doc.checkpoints.length, 2);
  t.is(doc.result.models.length, 2);
  for (const m of doc.result.models) {
    t.true(m.loss > 0 && Number.isFinite(m.loss));
    t.true(m.accuracy >= 0 && m.accuracy <= 1);
  }
  t.is(doc.result.ensemble.members, 2);
  t.deepEqual(JSON.parse(await readFile(out, 'utf8')).result, doc.result);
  t.is(await sha256File(path.join(a, 'weights.bin')), before);
});

test('info: layers and parameter counts', async (t) => {
  const r = await sharpness(['info', a, '--json', '--backend', 'cpu']);
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.is(doc.result.parameters, 784 * 16 + 16 + 16 * 10 + 10);
  t.is(doc.result.trainableParameters, doc.result.parameters);
  t.deepEqual(
    doc.result.layers.map((l: { className: string }) => l.className),
    ['Flatten', 'Dense', 'Dense'],
  );
  t.is(doc.result.sidecar.seed, 1);
});

test('evaluate: data that does not fit the model is one line naming both shapes, exit 2, nothing written', async (t) => {
  const out = path.join(dir, 'never.json');
  const r = await sharpness(['evaluate', a, '--data', 'synthetic:blobs:20', '--backend', 'cpu', '--out', out]);
  t.is(r.status, 2);
  const err = lines(r.stderr).filter((l) => !l.startsWith('engine:'));
  t.is(err.length, 1, r.stderr);
  t.regex(err[0]!, /\[2\].*\[28,28,1\]/);
  t.notRegex(r.stderr, STACK_FRAME);
  await t.throwsAsync(readFile(out));
});

test('evaluate: --ensemble with one checkpoint and an --out inside the checkpoint are usage errors', async (t) => {
  const r1 = await sharpness(['evaluate', a, '--data', 'mnist:test:10', '--ensemble', '--backend', 'cpu']);
  t.is(r1.status, 2);
  t.regex(r1.stderr, /--ensemble needs at least 2 checkpoints/);
  const r2 = await sharpness(['evaluate', a, '--data', 'mnist:test:10', '--backend', 'cpu', '--out', path.join(a, 'r.json')]);
  t.is(r2.status, 2);
  t.regex(r2.stderr, /inside the input checkpoint/);
});
