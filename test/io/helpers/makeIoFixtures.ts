/**
 * Writes the small checkpoint fixtures under fixtures/io/ (run once with
 * `npx tsx test/io/helpers/makeIoFixtures.ts`; the outputs are committed):
 *
 * - keras-sequential/: model.json as the TensorFlow.js converter writes it for a Keras 2
 *   Sequential model (Dense 4->3 relu, Dense 3->2), weights in two manifest groups, the
 *   first split in two shards at an odd byte offset (group1-shard1of2.bin, ...).
 * - keras-functional/: a Keras 2 functional model (two Dense branches joined by Add).
 * - browser-saved/: a model as `model.save('downloads://my-model')` writes it in a browser
 *   (my-model.json, ./my-model.weights.bin).
 *
 * Weight values are fixed formulas (see kerasWeight) so tests can check them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/io');

/** Value of element i of the weight numbered `k` in a fixture. */
export function kerasWeight(k: number, i: number): number {
  return Math.fround(((i * 7 + k * 3) % 11) / 10 - 0.5);
}

function f32(k: number, n: number): Uint8Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = kerasWeight(k, i);
  return new Uint8Array(a.buffer);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const init = (cls: string, config: object = {}) => ({ module: 'keras.initializers', class_name: cls, config, registered_name: null });

function dense(name: string, units: number, activation: string, extra: object = {}) {
  return {
    module: 'keras.layers',
    class_name: 'Dense',
    config: {
      name,
      trainable: true,
      dtype: 'float32',
      ...extra,
      units,
      activation,
      use_bias: true,
      kernel_initializer: init('GlorotUniform', { seed: null }),
      bias_initializer: init('Zeros'),
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    },
    registered_name: null,
  };
}

function write(dir: string, files: Record<string, string | Uint8Array>): void {
  const d = path.join(ROOT, dir);
  fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(d, { recursive: true });
  for (const [n, c] of Object.entries(files)) fs.writeFileSync(path.join(d, n), c);
}

export function makeIoFixtures(): void {
  // --- keras-sequential: 2 groups, group 1 in 2 shards.
  const g1 = concat([f32(0, 12), f32(1, 3)]); // dense/kernel [4,3], dense/bias [3]
  const g2 = concat([f32(2, 6), f32(3, 2)]); // dense_1/kernel [3,2], dense_1/bias [2]
  const seq = {
    format: 'layers-model',
    generatedBy: 'keras v2.13.1',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.13.1',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            {
              class_name: 'InputLayer',
              config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'dense_input' },
            },
            dense('dense', 3, 'relu', { batch_input_shape: [null, 4] }),
            dense('dense_1', 2, 'linear'),
          ],
        },
      },
      training_config: {
        loss: 'mean_squared_error',
        metrics: null,
        weighted_metrics: null,
        loss_weights: null,
        optimizer_config: { class_name: 'SGD', config: { name: 'SGD', learning_rate: 0.01, momentum: 0, nesterov: false } },
      },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
        weights: [
          { name: 'dense/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'dense/bias', shape: [3], dtype: 'float32' },
        ],
      },
      {
        paths: ['group2-shard1of1.bin'],
        weights: [
          { name: 'dense_1/kernel', shape: [3, 2], dtype: 'float32' },
          { name: 'dense_1/bias', shape: [2], dtype: 'float32' },
        ],
      },
    ],
  };
  write('keras-sequential', {
    'model.json': JSON.stringify(seq),
    'group1-shard1of2.bin': g1.slice(0, 37),
    'group1-shard2of2.bin': g1.slice(37),
    'group2-shard1of1.bin': g2,
  });

  // --- keras-functional: x -> Dense(3) a, x -> Dense(3) b, Add, Dense(2).
  const node = (name: string) => [[[name, 0, 0, {}]]];
  const fun = {
    format: 'layers-model',
    generatedBy: 'keras v2.13.1',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.13.1',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'model',
          layers: [
            {
              class_name: 'InputLayer',
              config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' },
              name: 'input_1',
              inbound_nodes: [],
            },
            { ...dense('a', 3, 'tanh'), name: 'a', inbound_nodes: node('input_1') },
            { ...dense('b', 3, 'relu'), name: 'b', inbound_nodes: node('input_1') },
            {
              class_name: 'Add',
              config: { name: 'add', trainable: true, dtype: 'float32' },
              name: 'add',
              inbound_nodes: [[['a', 0, 0, {}], ['b', 0, 0, {}]]],
            },
            { ...dense('out', 2, 'linear'), name: 'out', inbound_nodes: node('add') },
          ],
          input_layers: [['input_1', 0, 0]],
          output_layers: [['out', 0, 0]],
        },
      },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'a/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'a/bias', shape: [3], dtype: 'float32' },
          { name: 'b/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'b/bias', shape: [3], dtype: 'float32' },
          { name: 'out/kernel', shape: [3, 2], dtype: 'float32' },
          { name: 'out/bias', shape: [2], dtype: 'float32' },
        ],
      },
    ],
  };
  write('keras-functional', {
    'model.json': JSON.stringify(fun),
    'group1-shard1of1.bin': concat([f32(0, 12), f32(1, 3), f32(2, 12), f32(3, 3), f32(4, 6), f32(5, 2)]),
  });

  // --- browser-saved: tfjs-layers topology, paths with './'.
  const browser = {
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'sequential_1',
        layers: [
          {
            class_name: 'Dense',
            config: {
              units: 2,
              activation: 'softmax',
              use_bias: true,
              kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } },
              bias_initializer: { class_name: 'Zeros', config: {} },
              kernel_regularizer: null,
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: null,
              bias_constraint: null,
              name: 'dense_Dense1',
              trainable: true,
              batch_input_shape: [null, 3],
              dtype: 'float32',
            },
          },
        ],
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    weightsManifest: [
      {
        paths: ['./my-model.weights.bin'],
        weights: [
          { name: 'dense_Dense1/kernel', shape: [3, 2], dtype: 'float32' },
          { name: 'dense_Dense1/bias', shape: [2], dtype: 'float32' },
        ],
      },
    ],
  };
  write('browser-saved', {
    'my-model.json': JSON.stringify(browser),
    'my-model.weights.bin': concat([f32(0, 6), f32(1, 2)]),
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) makeIoFixtures();
