import test from 'ava';
import { InputError } from '../../src/errors.ts';
import { datasetSha256, makeDataset } from '../../src/io/makeDataset.ts';

test('computes n and hashes contents and layout', (t) => {
  const x = new Float32Array([0, 1, 2, 3]);
  const a = makeDataset('s', [2], x, { kind: 'classes', labels: new Int32Array([0, 1]), numClasses: 2 });
  t.is(a.n, 2);
  t.is(a.sha256, datasetSha256(2, [2], x, a.targets));
  const b = makeDataset('s', [1], x, { kind: 'classes', labels: new Int32Array([0, 1, 0, 1]), numClasses: 2 });
  t.not(b.sha256, a.sha256);
  const c = makeDataset('s', [2], x, { kind: 'classes', labels: new Int32Array([0, 1]), numClasses: 3 });
  t.not(c.sha256, a.sha256);
});

test('rejects empty data and inconsistent sizes', (t) => {
  const labels = new Int32Array([0]);
  t.throws(() => makeDataset('s', [2], new Float32Array(0), { kind: 'classes', labels, numClasses: 1 }), { instanceOf: InputError, message: 'data: s is empty (no samples or zero-sized samples)' });
  t.throws(() => makeDataset('s', [2], new Float32Array(3), { kind: 'classes', labels, numClasses: 1 }), { instanceOf: InputError, message: /not a multiple/ });
  t.throws(() => makeDataset('s', [2], new Float32Array(4), { kind: 'classes', labels, numClasses: 1 }), { instanceOf: InputError, message: /2 samples but 1 labels/ });
  t.throws(() => makeDataset('s', [1], new Float32Array(1), { kind: 'classes', labels: new Int32Array([3]), numClasses: 2 }), { instanceOf: InputError, message: /label 3 at sample 0, outside \[0, 2\)/ });
  t.throws(() => makeDataset('s', [1], new Float32Array(2), { kind: 'regression', values: new Float32Array(3), dim: 1 }), { instanceOf: InputError });
});
