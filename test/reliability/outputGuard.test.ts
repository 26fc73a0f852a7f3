/**
 * Class 1 of "nothing lost": an --out never lands on an input, whatever path leads there
 * (a data file, a symlink into a checkpoint, the result `check` reads, an input checkpoint
 * given to `compare`), and an --out that cannot be written fails before any work.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, lines } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { snapshot } from '../io/helpers/files.ts';
import { saveTinyCheckpoint, writeTinyData } from './tinyInputs.ts';
import { guardOutput, realPathOf } from '../../src/io/inputPaths.ts';

let dir = '';
let ckpt = '';
let data = { x: '', y: '', spec: '' };
let result = '';

test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-guard-');
  ckpt = await saveTinyCheckpoint(path.join(dir, 'ckpt'));
  data = writeTinyData(dir);
  result = path.join(dir, 'r.json');
  const r = await sharpness(['evaluate', ckpt, '--data', data.spec, '--backend', 'cpu', '--out', result, '--quiet']);
  if (r.status !== 0) throw new Error(r.stderr);
});

test('evaluate --out naming its own label file is refused and the labels survive', async (t) => {
  const before = readFileSync(data.y);
  const r = await sharpness(['evaluate', ckpt, '--data', data.spec, '--backend', 'cpu', '--out', data.y]);
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /evaluate: --out .*y\.npy would overwrite the input .*y\.npy/);
  t.deepEqual(readFileSync(data.y), before);
  t.is(lines(r.stderr).length, 1, 'no engine line before the refusal');
});

test('an --out reaching a checkpoint through a symlinked directory is refused', async (t) => {
  const link = path.join(dir, 'via-link');
  symlinkSync(ckpt, link);
  const before = snapshot(ckpt);
  const r = await sharpness(['info', ckpt, '--backend', 'cpu', '--out', path.join(link, 'info.json')]);
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /inside the input checkpoint/);
  t.deepEqual(snapshot(ckpt), before);
});

test('check --out naming the result it reads is refused', async (t) => {
  const baseline = path.join(dir, 'baseline.json');
  writeFileSync(baseline, readFileSync(result));
  const before = readFileSync(result);
  const r = await sharpness(['check', result, '--baseline', baseline, '--out', result]);
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /check: --out .*r\.json would overwrite the input/);
  t.deepEqual(readFileSync(result), before);
});

test('compare into an input checkpoint creates nothing there', async (t) => {
  const before = snapshot(ckpt);
  const r = await sharpness(['compare', ckpt, '--data', data.spec, '--backend', 'cpu', '--out', ckpt]);
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /compare: --out .* inside the input checkpoint/);
  t.deepEqual(snapshot(ckpt), before);
  t.false(existsSync(path.join(ckpt, 'results')));
});

test('an --out that cannot be written fails before the engine starts', async (t) => {
  const file = path.join(dir, 'plain-file');
  writeFileSync(file, 'x');
  const r1 = await sharpness(['evaluate', ckpt, '--data', data.spec, '--backend', 'cpu', '--out', path.join(dir, 'missing', 'r.json')]);
  t.is(r1.status, 2, r1.stderr);
  t.deepEqual(lines(r1.stderr), [`sharpness: evaluate: the directory of --out ${path.join(dir, 'missing', 'r.json')} does not exist; create it first`]);
  const r2 = await sharpness(['hessian', ckpt, '--data', data.spec, '--backend', 'cpu', '--out', path.join(file, 'r.json')]);
  t.is(r2.status, 2, r2.stderr);
  t.regex(r2.stderr, /hessian: the directory of --out .* is not a directory/);
  t.notRegex(r2.stderr, /engine:/);
});

test('guardOutput: real paths, progress siblings, directories the command creates', (t) => {
  mkdirSync(path.join(dir, 'g'), { recursive: true });
  const res = path.join(dir, 'g', 'res.json');
  writeFileSync(res, '{}');
  // A dangling symlink is followed to where a write would land.
  symlinkSync(path.join(ckpt, 'new.json'), path.join(dir, 'g', 'dangling'));
  t.is(realPathOf(path.join(dir, 'g', 'dangling')), path.join(realPathOf(ckpt), 'new.json'));
  t.throws(() => guardOutput('x', { kind: 'file', path: path.join(dir, 'g', 'dangling') }, { checkpoints: [ckpt] }), { message: /inside the input checkpoint/ });
  // OUT.partial.json is written too.
  t.throws(() => guardOutput('x', { kind: 'file', path: res.replace(/\.partial\.json$/, ''), siblings: ['.partial.json'] }, { files: [`${res}.partial.json`] }), { message: /overwrite the input/ });
  // A report's figures/ is ours: an input inside it is refused, one next to it is fine.
  t.throws(() => guardOutput('report', { kind: 'dir', path: dir, creates: ['figures'] }, { files: [path.join(dir, 'figures', 'a.json')] }), { message: /overwrite the input/ });
  t.notThrows(() => guardOutput('report', { kind: 'dir', path: dir, creates: ['figures'] }, { files: [res] }));
  // A checkpoint given as its model.json stands for its directory.
  t.throws(() => guardOutput('x', { kind: 'file', path: path.join(ckpt, 'o.json') }, { checkpoints: [path.join(ckpt, 'model.json')] }), { message: /inside the input checkpoint/ });
});
