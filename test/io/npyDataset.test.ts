import test from 'ava';
import * as path from 'node:path';
import { InputError } from '../../src/errors.ts';
import { encodeNpy, writeNpy, type NpyData } from '../../src/io/npy.ts';
import { loadNpyDataset } from '../../src/io/npyDataset.ts';
import { snapshot, tmpDir } from './helpers/files.ts';
import * as fs from 'node:fs';

async function pair(x: NpyData, xs: number[], y: NpyData, ys: number[], dtypeY?: 'bool') {
  const dir = tmpDir('npyds');
  await writeNpy(path.join(dir, 'X.npy'), x, xs);
  await writeNpy(path.join(dir, 'Y.npy'), y, ys, dtypeY);
  return dir;
}

const load = (dir: string) => loadNpyDataset('X.npy', 'Y.npy', 'npy:X.npy,Y.npy', { cwd: dir });

test('float32 X [N,2,2] with int64 class ids', async (t) => {
  const dir = await pair(Float32Array.from({ length: 12 }, (_, i) => i / 10), [3, 2, 2], new BigInt64Array([2n, 0n, 1n]), [3]);
  const before = snapshot(dir);
  const d = await load(dir);
  t.deepEqual(snapshot(dir), before);
  t.is(d.n, 3);
  t.deepEqual(d.sampleShape, [2, 2]);
  t.deepEqual(d.targets, { kind: 'classes', labels: new Int32Array([2, 0, 1]), numClasses: 3 });
  t.is(d.x[5], Math.fround(0.5));
});

test('uint8 X is scaled to [0,1]; float64 X converted; integral float labels are class ids', async (t) => {
  const d = await load(await pair(new Uint8Array([0, 255, 51, 102]), [2, 2], new Float32Array([1, 0]), [2]));
  t.deepEqual(Array.from(d.x), [0, 1, 0.2, 0.4].map(Math.fround));
  t.is(d.targets.kind, 'classes');
  const e = await load(await pair(new Float64Array([0.1, 0.2]), [2], new Int32Array([0, 4]), [2]));
  t.deepEqual(e.sampleShape, [1]);
  t.deepEqual(e.targets, { kind: 'classes', labels: new Int32Array([0, 4]), numClasses: 5 });
});

test('one-hot [N,K] gives classes; other [N,K] gives regression; [N,1] ints are ids', async (t) => {
  const oh = await load(await pair(new Float32Array(6), [3, 2], new Float32Array([0, 1, 0, 1, 0, 0, 0, 0, 1]), [3, 3]));
  t.deepEqual(oh.targets, { kind: 'classes', labels: new Int32Array([1, 0, 2]), numClasses: 3 });
  const reg = await load(await pair(new Float32Array(6), [3, 2], new Float64Array([0.5, 1, 2, 3, 4, 5]), [3, 2]));
  t.deepEqual(reg.targets, { kind: 'regression', values: new Float32Array([0.5, 1, 2, 3, 4, 5]), dim: 2 });
  const reg1 = await load(await pair(new Float32Array(2), [2, 1], new Float32Array([0.5, 1.5]), [2]));
  t.deepEqual(reg1.targets, { kind: 'regression', values: new Float32Array([0.5, 1.5]), dim: 1 });
  const ids = await load(await pair(new Float32Array(2), [2, 1], new Uint8Array([3, 1]), [2, 1]));
  t.deepEqual(ids.targets, { kind: 'classes', labels: new Int32Array([3, 1]), numClasses: 4 });
  const bools = await load(await pair(new Float32Array(2), [2, 1], new Uint8Array([1, 0]), [2], 'bool'));
  t.deepEqual(bools.targets, { kind: 'classes', labels: new Int32Array([1, 0]), numClasses: 2 });
});

test('bad npy data sets name the file', async (t) => {
  const cases: [Promise<string>, RegExp][] = [
    [pair(new Int32Array(4), [2, 2], new Int32Array(2), [2]), /data: X\.npy \(features of npy:X\.npy,Y\.npy\) has dtype int32; features must be float32, float64 or uint8/],
    [pair(new Float32Array(0), [0, 3], new Int32Array(0), [0]), /X\.npy .* is empty \(shape \[0,3\]\)/],
    [pair(new Float32Array(4), [2, 2], new Int32Array(3), [3]), /Y\.npy \(targets of .*\) has 3 rows but the features have 2 samples/],
    [pair(new Float32Array(4), [2, 2], new Int32Array([0, -1]), [2]), /Y\.npy .* has negative class id -1 at row 1/],
    [pair(new Float32Array([1, NaN]), [2, 1], new Int32Array(2), [2]), /X\.npy .* has a non-finite value \(NaN\) at flat index 1/],
    [pair(new Float32Array(2), [2, 1], new Float32Array([0, Infinity]), [2]), /Y\.npy .* has a non-finite value/],
    [pair(new Float32Array(2), [2, 1], new Float32Array(8), [2, 2, 2]), /Y\.npy .* has shape \[2,2,2\]; expected \[N\] class ids/],
  ];
  for (const [p, re] of cases) {
    const dir = await p;
    const before = snapshot(dir);
    await t.throwsAsync(load(dir), { instanceOf: InputError, message: re });
    t.deepEqual(snapshot(dir), before);
  }
  const dir = tmpDir('npyds');
  fs.writeFileSync(path.join(dir, 'X.npy'), encodeNpy(new Float32Array(2), [2]).subarray(0, 100));
  await t.throwsAsync(load(dir), { instanceOf: InputError, message: /npy: .*X\.npy is truncated/ });
  await t.throwsAsync(loadNpyDataset('nope.npy', 'Y.npy', 'npy:nope.npy,Y.npy', { cwd: dir }), { instanceOf: InputError, message: /nope\.npy does not exist/ });
});
