import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/errors.ts';
import {
  checkManifestPath,
  findNonFiniteWeights,
  parseModelJson,
  readCheckpointFiles,
  scanNonFinite,
  weightEntryByteSize,
} from '../../src/io/checkpointFiles.ts';
import { FIXTURES, tmpDir } from './helpers/files.ts';

test('manifest paths: relative names pass, escapes are rejected', (t) => {
  for (const p of ['weights.bin', './my-model.weights.bin', 'sub/group1-shard1of2.bin']) t.notThrows(() => checkManifestPath(p, 'm.json'));
  for (const [p, why] of [
    ['../x.bin', "'..'"],
    ['a/../../x.bin', "'..'"],
    ['..\\x.bin', "'..'"],
    ['/etc/passwd', 'absolute'],
    ['C:\\w.bin', 'absolute'],
    ['\\\\server\\share\\w.bin', 'absolute'],
    ['http://example.com/w.bin', 'URL'],
    ['', 'empty'],
    ['.', 'not a file name'],
  ]) {
    const e = t.throws(() => checkManifestPath(p!, 'dir/model.json'), { instanceOf: InputError });
    t.true(e!.message.startsWith(`checkpoint: dir/model.json lists weight file '${p}'`), e!.message);
    t.true(e!.message.includes(why!), e!.message);
  }
});

test('parseModelJson checks structure', (t) => {
  const ok = { modelTopology: { class_name: 'Sequential', config: {} }, weightsManifest: [] };
  t.notThrows(() => parseModelJson(JSON.stringify(ok), 'm'));
  const bad: [unknown, RegExp][] = [
    [{ ...ok, modelTopology: 'x' }, /modelTopology that is not an object/],
    [{ ...ok, modelTopology: {} }, /without a class_name/],
    [{ ...ok, weightsManifest: {} }, /weightsManifest that is not a list/],
    [{ ...ok, weightsManifest: [{ paths: [] }] }, /group 1 without 'paths' and 'weights'/],
    [{ ...ok, weightsManifest: [{ paths: [1], weights: [] }] }, /path that is not a string/],
    [{ ...ok, weightsManifest: [{ paths: [], weights: [{ shape: [1] }] }] }, /entry without a name/],
    [{ ...ok, weightsManifest: [{ paths: [], weights: [{ name: 'a', shape: [1] }, { name: 'a', shape: [1] }] }] }, /lists weight a twice/],
    [{ ...ok, weightsManifest: [{ paths: [], weights: [{ name: 'a', shape: [1e9, 1e9] }] }] }, /too large to load/],
    [{ ...ok, weightsManifest: [{ paths: [], weights: [{ name: 'a', shape: [1], quantization: { dtype: 'int4' } }] }] }, /quantization/],
    [{ ...ok, format: 'tfjs-graph' }, /has format 'tfjs-graph'; expected 'layers-model'/],
  ];
  for (const [j, re] of bad) t.throws(() => parseModelJson(JSON.stringify(j), 'm.json'), { instanceOf: InputError, message: re });
});

test('weight byte sizes follow dtype and quantization', (t) => {
  t.is(weightEntryByteSize({ name: 'a', shape: [2, 3], dtype: 'float32' }), 24);
  t.is(weightEntryByteSize({ name: 'a', shape: [2, 3], dtype: 'bool' }), 6);
  t.is(weightEntryByteSize({ name: 'a', shape: [], dtype: 'int32' }), 4);
  t.is(weightEntryByteSize({ name: 'a', shape: [5], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }), 5);
  t.is(weightEntryByteSize({ name: 'a', shape: [5], dtype: 'float32', quantization: { dtype: 'float16' } }), 10);
});

test('readCheckpointFiles joins shards in order and locates bad values by file', async (t) => {
  const files = await readCheckpointFiles(path.join(FIXTURES, 'keras-sequential'));
  t.is(files.groups.length, 2);
  t.deepEqual(files.groups[0]!.fileOffsets, [0, 37]);
  t.is(files.groups[0]!.bytes.length, 60);
  t.deepEqual(findNonFiniteWeights(files), []);
  // Put a NaN in dense/bias (bytes 48..60, in the second shard).
  const dir = path.join(tmpDir('cf'), 'ck');
  fs.cpSync(path.join(FIXTURES, 'keras-sequential'), dir, { recursive: true });
  const shard2 = fs.readFileSync(path.join(dir, 'group1-shard2of2.bin'));
  shard2.writeFloatLE(NaN, 48 + 4 - 37);
  fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), shard2);
  const bad = findNonFiniteWeights(await readCheckpointFiles(dir));
  t.deepEqual(bad, [{ name: 'dense/bias', file: path.join(dir, 'group1-shard2of2.bin'), count: 1, firstIndex: 1 }]);
});

test('scanNonFinite handles unaligned offsets and float16', (t) => {
  const bytes = new Uint8Array(1 + 8 + 4);
  const v = new DataView(bytes.buffer);
  v.setFloat32(1, 1, true);
  v.setFloat32(5, Infinity, true);
  v.setUint16(9, 0x3c00, true); // 1.0
  v.setUint16(11, 0x7e00, true); // NaN
  const r = scanNonFinite(
    [
      { name: 'b', shape: [1], dtype: 'bool' },
      { name: 'f', shape: [2], dtype: 'float32' },
      { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
    ],
    bytes,
  );
  t.deepEqual(
    r.map((x) => [x.name, x.count, x.firstIndex]),
    [
      ['f', 1, 1],
      ['h', 1, 1],
    ],
  );
});

test('a manifest entry without dtype is float32', (t) => {
  const j = parseModelJson(
    JSON.stringify({ modelTopology: { class_name: 'Sequential', config: {} }, weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'a', shape: [2] }] }] }),
    'm.json',
  );
  t.is(j.weightsManifest[0]!.weights[0]!.dtype, 'float32');
  t.is(weightEntryByteSize(j.weightsManifest[0]!.weights[0]!), 8);
});
