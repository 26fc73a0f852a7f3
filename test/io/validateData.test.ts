import { layersNetwork } from '../../src/formats/layers/layersNetwork.ts';
import test from 'ava';
import { tf, tfl } from '../../src/engine/tf.ts';
import { InputError } from '../../src/errors.ts';
import { makeDataset, type Dataset } from '../../src/io/makeDataset.ts';
import { validateDataForModel } from '../../src/io/validateData.ts';

test.before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const images = (n: number, numClasses = 10): Dataset =>
  makeDataset('mnist:test', [28, 28, 1], new Float32Array(n * 784), {
    kind: 'classes',
    labels: Int32Array.from({ length: n }, (_, i) => i % numClasses),
    numClasses,
  });

const mlp = (inputShape: number[], units: number) =>
  tfl.sequential({ layers: [tfl.layers.flatten({ inputShape }), tfl.layers.dense({ units })] });

test('matching data and model pass', (t) => {
  t.notThrows(() => validateDataForModel(images(4), layersNetwork(mlp([28, 28, 1], 10))));
  t.notThrows(() => validateDataForModel(images(4, 5), layersNetwork(mlp([28, 28, 1], 10))), 'fewer classes than units is fine');
  const reg = makeDataset('synthetic:linreg', [5], new Float32Array(10), { kind: 'regression', values: new Float32Array(2), dim: 1 });
  t.notThrows(() => validateDataForModel(reg, layersNetwork(tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [5], units: 1 })] }))));
  const binary = makeDataset('b', [5], new Float32Array(10), { kind: 'classes', labels: new Int32Array([0, 1]), numClasses: 2 });
  t.notThrows(() => validateDataForModel(binary, layersNetwork(tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [5], units: 1, activation: 'sigmoid' })] }))));
});

test('input shape mismatch names both shapes', (t) => {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [784], units: 10 })] });
  t.throws(() => validateDataForModel(images(2), layersNetwork(model)), {
    instanceOf: InputError,
    message: /^data: mnist:test has samples of shape \[28,28,1\] but the model expects \[784\]; /,
  });
});

test('null dimensions in the model input match anything', (t) => {
  const input = tfl.input({ shape: [null, 28, 1] as unknown as number[] });
  const out = tfl.layers.dense({ units: 10 }).apply(tfl.layers.globalMaxPooling2d({}).apply(input)) as tfl.SymbolicTensor;
  t.notThrows(() => validateDataForModel(images(2), layersNetwork(tfl.model({ inputs: input, outputs: out }))));
});

test('more classes than output units', (t) => {
  t.throws(() => validateDataForModel(images(12, 12), layersNetwork(mlp([28, 28, 1], 10))), {
    instanceOf: InputError,
    message: 'data: mnist:test has 12 classes but the model\'s output [null,10] has 10 units; use a model with 12 outputs',
  });
});

test('labels out of range (a hand-made Dataset)', (t) => {
  const d = images(3);
  const bad: Dataset = { ...d, targets: { kind: 'classes', labels: new Int32Array([0, 10, 1]), numClasses: 10 } };
  t.throws(() => validateDataForModel(bad, layersNetwork(mlp([28, 28, 1], 10))), {
    instanceOf: InputError,
    message: /has label 10 at sample 1, outside \[0, 10\) for the model's output \[null,10\]/,
  });
});

test('regression dimension vs output units', (t) => {
  const reg = makeDataset('npy:X.npy,Y.npy', [5], new Float32Array(10), { kind: 'regression', values: new Float32Array(6), dim: 3 });
  t.throws(() => validateDataForModel(reg, layersNetwork(tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [5], units: 2 })] }))), {
    instanceOf: InputError,
    message: /regression targets of shape \[3\] but the model's output is \[null,2\]/,
  });
});

test('empty data and multi-input models', (t) => {
  const empty: Dataset = { ...images(1), n: 0, x: new Float32Array(0) };
  t.throws(() => validateDataForModel(empty, layersNetwork(mlp([28, 28, 1], 10))), { instanceOf: InputError, message: /is empty/ });
  const a = tfl.input({ shape: [2] });
  const b = tfl.input({ shape: [2] });
  const m = tfl.model({ inputs: [a, b], outputs: tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor });
  t.throws(() => validateDataForModel(images(1), layersNetwork(m)), { instanceOf: InputError, message: /2 inputs/ });
});

test('an NHWC/NCHW mix-up says which layout the model expects and how to transpose', (t) => {
  const data = (shape: number[]): Dataset => ({
    spec: 'npy:x.npy,y.npy',
    n: 2,
    sampleShape: shape,
    x: new Float32Array(2 * shape.reduce((a, b) => a * b, 1)),
    targets: { kind: 'classes', labels: new Int32Array([0, 1]), numClasses: 2 },
    sha256: '',
  } as unknown as Dataset);
  t.throws(() => validateDataForModel(data([8, 8, 3]), { inputShape: [3, 8, 8], outputShape: [2] }), {
    instanceOf: InputError,
    message: /expects \[3,8,8\]; the model takes channels first \(NCHW, as PyTorch does\) and the data is channels last \(NHWC\): transpose it, e\.g\. np\.save\(path, x\.transpose\(0, 3, 1, 2\)\)$/,
  });
  t.throws(() => validateDataForModel(data([3, 8, 8]), { inputShape: [8, 8, 3], outputShape: [2] }), {
    instanceOf: InputError,
    message: /the model takes channels last \(NHWC, as TensorFlow\.js does\) and the data is channels first \(NCHW\): transpose it, e\.g\. np\.save\(path, x\.transpose\(0, 2, 3, 1\)\)$/,
  });
});
