/**
 * Class 2 of "nothing read from outside, nothing hangs": every file an input names is
 * opened by one function (src/io/safeRead.ts): its real path must stay inside the
 * checkpoint, it must be a regular file (a FIFO cannot hang a command) of bounded size,
 * and no message echoes a file's contents.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, lines } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { saveTinyCheckpoint, writeTinyData } from './tinyInputs.ts';
import { loadCheckpoint } from '../../src/formats/loadCheckpoint.ts';
import { readInputFileSync } from '../../src/io/safeRead.ts';
import { InputError } from '../../src/errors.ts';

const SECRET = 'TOP-SECRET-7f3a';
let dir = '';
let good = '';
let n = 0;

test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-saferead-');
  good = await saveTinyCheckpoint(path.join(dir, 'good'));
  writeFileSync(path.join(dir, 'secret.txt'), `${SECRET} this is not JSON\n`);
  writeFileSync(path.join(dir, 'secret.json'), JSON.stringify({ method: SECRET }));
});

function copy(): string {
  const d = path.join(dir, `c${++n}`);
  cpSync(good, d, { recursive: true });
  return d;
}

const mkfifo = (p: string) => execFileSync('mkfifo', [p]);

test('a sidecar symlinked to a file outside the checkpoint is refused, not printed', async (t) => {
  const d = copy();
  renameSync(path.join(d, 'sharpness.json'), path.join(d, 'old.json'));
  symlinkSync(path.join(dir, 'secret.json'), path.join(d, 'sharpness.json'));
  const r = await sharpness(['info', d, '--backend', 'cpu']);
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /checkpoint: .*sharpness\.json resolves to .*secret\.json, outside the checkpoint directory/);
  t.false((r.stdout + r.stderr).includes(SECRET));
});

test('a model.json symlinked outside is refused and its bytes are never echoed', async (t) => {
  const d = copy();
  renameSync(path.join(d, 'model.json'), path.join(d, 'real.json'));
  symlinkSync(path.join(dir, 'secret.txt'), path.join(d, 'model.json'));
  const e = await t.throwsAsync(loadCheckpoint(d), { instanceOf: InputError, message: /outside the checkpoint directory/ });
  t.false(e!.message.includes(SECRET));
});

test('a model.json that is not JSON is named without quoting it', async (t) => {
  const d = copy();
  writeFileSync(path.join(d, 'model.json'), readFileSync(path.join(dir, 'secret.txt')));
  const e = await t.throwsAsync(loadCheckpoint(d), { instanceOf: InputError, message: /model\.json is not valid JSON \(a syntax error/ });
  t.false(e!.message.includes(SECRET));
  t.false(e!.message.includes('this is not'));
});

test('FIFOs named model.json, sharpness.json or a data file fail at once instead of hanging', async (t) => {
  const a = copy();
  renameSync(path.join(a, 'model.json'), path.join(a, 'real.json'));
  mkfifo(path.join(a, 'model.json'));
  const b = copy();
  renameSync(path.join(b, 'sharpness.json'), path.join(b, 'old.json'));
  mkfifo(path.join(b, 'sharpness.json'));
  const data = writeTinyData(copy());
  renameSync(data.y, `${data.y}.old`);
  mkfifo(data.y);
  const [ra, rb, rc] = await Promise.all([
    sharpness(['info', a, '--backend', 'cpu'], { timeoutMs: 30_000 }),
    sharpness(['info', b, '--backend', 'cpu'], { timeoutMs: 30_000 }),
    sharpness(['evaluate', good, '--data', data.spec, '--backend', 'cpu'], { timeoutMs: 30_000 }),
  ]);
  t.is(ra.status, 2, ra.stderr);
  t.regex(ra.stderr, /model\.json is a FIFO \(named pipe\), not a regular file/);
  t.is(rb.status, 2, rb.stderr);
  t.regex(rb.stderr, /sharpness\.json is a FIFO \(named pipe\), not a regular file/);
  t.is(rc.status, 2, rc.stderr);
  t.regex(rc.stderr, /npy: .*y\.npy is a FIFO \(named pipe\), not a regular file/);
});

test('a weight file listed twice is read once and refused', async (t) => {
  const d = copy();
  const mj = JSON.parse(readFileSync(path.join(d, 'model.json'), 'utf8'));
  const g = mj.weightsManifest[0];
  // Split the two tensors into two groups that both name weights.bin.
  mj.weightsManifest = [
    { paths: g.paths, weights: [g.weights[0]] },
    { paths: g.paths, weights: [g.weights[1]] },
  ];
  writeFileSync(path.join(d, 'model.json'), JSON.stringify(mj));
  await t.throwsAsync(loadCheckpoint(d), { instanceOf: InputError, message: /lists weight file .*weights\.bin twice/ });
});

test('a Keras .h5 file is named as such, with how to convert it', async (t) => {
  const d = copy();
  const h5 = Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);
  writeFileSync(path.join(d, 'model.h5'), h5);
  const r = await sharpness(['info', path.join(d, 'model.h5'), '--backend', 'cpu']);
  t.is(r.status, 2, r.stderr);
  t.deepEqual(lines(r.stderr).filter((l) => !l.startsWith('engine:')), [
    `sharpness: checkpoint: ${path.join(d, 'model.h5')} is an HDF5 file (a Keras .h5 model), not a TensorFlow.js model.json; convert it with tensorflowjs_converter --input_format keras, or export the model to ONNX`,
  ]);
});

test('readInputFileSync: size bound, optional files, directories', (t) => {
  const f = path.join(dir, 'ten.bin');
  writeFileSync(f, Buffer.alloc(10));
  t.is(readInputFileSync(f, { what: 'x', maxBytes: 10 }).length, 10);
  t.throws(() => readInputFileSync(f, { what: 'x', maxBytes: 9 }), { instanceOf: InputError, message: /has 10 bytes, more than the 9 bytes/ });
  t.is(readInputFileSync(path.join(dir, 'absent'), { what: 'x', maxBytes: 9, optional: true }), null);
  t.throws(() => readInputFileSync(dir, { what: 'x', maxBytes: 9 }), { instanceOf: InputError, message: /is a directory/ });
  t.throws(() => readInputFileSync(f, { what: 'x', maxBytes: 99, within: good }), { instanceOf: InputError, message: /outside/ });
});
