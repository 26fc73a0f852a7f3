import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf, tfl } from '../../src/engine/tf.ts';
import { InputError } from '../../src/errors.ts';
import { artifactsToFiles, fsIOHandler, modelJsonForArtifacts } from '../../src/io/fsIOHandler.ts';
import { FIXTURES, snapshot, tmpDir } from './helpers/files.ts';

test.before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

test('model.save(fsIOHandler) and tfl.loadLayersModel(fsIOHandler) round-trip', async (t) => {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: 'tanh' })] });
  const dir = path.join(tmpDir('h'), 'ck');
  const res = await m.save(fsIOHandler(dir));
  t.is(res.modelArtifactsInfo.modelTopologyType, 'JSON');
  t.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'weights.bin']);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  t.is(json.format, 'layers-model');
  t.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
  t.regex(json.generatedBy, /TensorFlow\.js tfjs-layers/);
  const m2 = await tfl.loadLayersModel(fsIOHandler(dir));
  const a = m.getWeights().map((w) => Array.from(w.dataSync()));
  const b = m2.getWeights().map((w) => Array.from(w.dataSync()));
  t.deepEqual(a, b);
});

test('save refuses to replace a non-empty directory unless overwrite', async (t) => {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
  const dir = path.join(tmpDir('h'), 'ck');
  await m.save(fsIOHandler(dir));
  await t.throwsAsync(m.save(fsIOHandler(dir)), { instanceOf: InputError, message: /exists and is not empty/ });
  await t.notThrowsAsync(m.save(fsIOHandler(path.join(dir, 'model.json'), { overwrite: true })));
});

test('load reads converter output with two groups and shards, without changing it', async (t) => {
  const dir = path.join(FIXTURES, 'keras-sequential');
  const before = snapshot(dir);
  const artifacts = await fsIOHandler(dir).load!();
  t.deepEqual(snapshot(dir), before);
  t.is(artifacts.convertedBy, 'TensorFlow.js Converter v4.22.0');
  t.is(artifacts.weightSpecs!.length, 4);
  t.is(new tf.io.CompositeArrayBuffer(artifacts.weightData!).byteLength, 23 * 4);
  const m = await tfl.loadLayersModel(fsIOHandler(dir));
  t.is(m.countParams(), 23);
});

test('load validates like loadCheckpoint', async (t) => {
  const dir = path.join(tmpDir('h'), 'ck');
  fs.cpSync(path.join(FIXTURES, 'keras-sequential'), dir, { recursive: true });
  fs.rmSync(path.join(dir, 'group2-shard1of1.bin'));
  await t.throwsAsync(fsIOHandler(dir).load!(), { instanceOf: InputError, message: /group2-shard1of1\.bin listed in .* does not exist/ });
});

test('modelJsonForArtifacts passes metadata through and artifactsToFiles concatenates weights', (t) => {
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: { class_name: 'Sequential', config: { layers: [] } },
    weightSpecs: [{ name: 'a', shape: [2], dtype: 'float32' }],
    weightData: [new Float32Array([1]).buffer, new Float32Array([2]).buffer],
    userDefinedMetadata: { note: 'x' },
    generatedBy: 'me',
    convertedBy: 'converter',
  };
  const json = modelJsonForArtifacts(artifacts) as unknown as Record<string, unknown>;
  t.is(json['generatedBy'], 'me');
  t.is(json['convertedBy'], 'converter');
  t.deepEqual(json['userDefinedMetadata'], { note: 'x' });
  const files = artifactsToFiles(artifacts);
  t.deepEqual(Array.from(new Float32Array((files['weights.bin'] as Uint8Array).slice().buffer)), [1, 2]);
  t.throws(() => modelJsonForArtifacts({ modelTopology: new ArrayBuffer(4) }), { instanceOf: InputError });
});
