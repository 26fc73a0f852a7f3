import test from 'ava';
import { InputError } from '../../src/errors.ts';
import { formatDataSpec, parseDataSpec } from '../../src/io/dataSpec.ts';

test('parses every valid form and formats it back', (t) => {
  const cases: [string, unknown, string?][] = [
    ['mnist:train', { kind: 'mnist', split: 'train' }],
    ['mnist:test:2000', { kind: 'mnist', split: 'test', n: 2000 }],
    ['fashion-mnist:test:10', { kind: 'fashion-mnist', split: 'test', n: 10 }],
    ['npy:data/X.npy,data/Y.npy', { kind: 'npy', x: 'data/X.npy', y: 'data/Y.npy' }],
    ['npy: a.npy , b.npy', { kind: 'npy', x: 'a.npy', y: 'b.npy' }, 'npy:a.npy,b.npy'],
    ['synthetic:blobs', { kind: 'synthetic', name: 'blobs' }],
    ['synthetic:linreg:500', { kind: 'synthetic', name: 'linreg', n: 500 }],
    ['synthetic:blobs:500:seed=3', { kind: 'synthetic', name: 'blobs', n: 500, seed: 3 }],
    ['synthetic:blobs:seed=3', { kind: 'synthetic', name: 'blobs', seed: 3 }],
    ['  mnist:test:1  ', { kind: 'mnist', split: 'test', n: 1 }, 'mnist:test:1'],
  ];
  for (const [spec, want, canon] of cases) {
    const d = parseDataSpec(spec);
    t.deepEqual(d, want as never, spec);
    t.is(formatDataSpec(d), canon ?? spec, spec);
  }
});

test('unknown specs list the valid forms', (t) => {
  for (const spec of ['cifar10:train', 'mnist', 'mnist:val', 'mnist:train:5:6', 'npy:X.npy', 'npy:X.npy,', 'synthetic:spiral', 'synthetic:blobs:5:seed=1:x', '']) {
    const e = t.throws(() => parseDataSpec(spec), { instanceOf: InputError }, spec);
    t.regex(e!.message, /^data: unknown data spec '.*'.*; valid forms: mnist:train\|test\[:N\], fashion-mnist:train\|test\[:N\], npy:X\.npy,Y\.npy, synthetic:blobs\|linreg\[:N\]\[:seed=S\]$/, spec);
  }
});

test('N must be an integer >= 1; seeds are integers in range', (t) => {
  for (const n of ['0', '-5', '1.5', 'abc', '1e3', '', '99999999999999999999']) {
    t.throws(() => parseDataSpec(`mnist:test:${n}`), { instanceOf: InputError, message: new RegExp(`has sample count '${n.replace('.', '\\.')}'; N must be an integer >= 1`) }, n);
  }
  t.throws(() => parseDataSpec('synthetic:blobs:10:seed=-1'), { instanceOf: InputError, message: /seed '-1'/ });
  t.throws(() => parseDataSpec('synthetic:blobs:10:seed=4294967296'), { instanceOf: InputError, message: /seed '4294967296'/ });
});
