import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { InputError } from '../../src/errors.ts';
import { decodeNpy, encodeNpy, readNpy, writeNpy, type NpyData, type NpyDtype } from '../../src/io/npy.ts';
import { FIXTURES, snapshot, tmpDir } from './helpers/files.ts';

const NPY = path.join(FIXTURES, 'npy');

test('round trip for every dtype, through a file', async (t) => {
  const dir = tmpDir('npy');
  const cases: [NpyDtype, NpyData][] = [
    ['float32', new Float32Array([1.5, -2, NaN, Infinity, 3.25, 0])],
    ['float64', new Float64Array([1e-300, -2, Math.PI, 4, 5, 6])],
    ['int8', new Int8Array([-128, 127, 0, 1, 2, 3])],
    ['int16', new Int16Array([-32768, 32767, 0, 1, 2, 3])],
    ['int32', new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, 1, 2, 3])],
    ['int64', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, 1n, 2n, 3n])],
    ['uint8', new Uint8Array([0, 255, 1, 2, 3, 4])],
    ['uint16', new Uint16Array([0, 65535, 1, 2, 3, 4])],
    ['uint32', new Uint32Array([0, 2 ** 32 - 1, 1, 2, 3, 4])],
    ['uint64', new BigUint64Array([0n, 2n ** 64n - 1n, 1n, 2n, 3n, 4n])],
    ['bool', new Uint8Array([1, 0, 1, 1, 0, 0])],
  ];
  for (const [dtype, data] of cases) {
    for (const shape of [[6], [2, 3], [1, 2, 3, 1]]) {
      const f = path.join(dir, `${dtype}-${shape.join('x')}.npy`);
      await writeNpy(f, data, shape, dtype === 'bool' ? 'bool' : undefined);
      const back = await readNpy(f);
      t.is(back.dtype, dtype);
      t.deepEqual(back.shape, shape);
      t.is(back.data.constructor, data.constructor);
      t.deepEqual(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength), Buffer.from(data.buffer));
    }
  }
  const scalar = decodeNpy(encodeNpy(new Float64Array([7]), []));
  t.deepEqual(scalar.shape, []);
  t.deepEqual(Array.from(scalar.data as Float64Array), [7]);
  const empty = decodeNpy(encodeNpy(new Float32Array(0), [0, 3]));
  t.deepEqual(empty.shape, [0, 3]);
  t.is(empty.data.length, 0);
});

test('encodeNpy writes exactly what numpy.save writes', (t) => {
  const ours = encodeNpy(Float32Array.from([0, 1, 2, 3, 4, 5], (v) => v / 4), [2, 3]);
  t.deepEqual(Buffer.from(ours), fs.readFileSync(path.join(NPY, 'f4_2x3.npy')));
  const labels = encodeNpy(new BigInt64Array([3n, 0n, 9n, 1n]), [4]);
  t.deepEqual(Buffer.from(labels), fs.readFileSync(path.join(NPY, 'i8_labels.npy')));
  t.is((ours.length - 24) % 64, 0, 'data starts on a 64-byte boundary');
});

test('reads files written by numpy (versions 1, 2, 3; bool; uint8; scalar; Fortran 1-D is fine)', async (t) => {
  const before = snapshot(NPY);
  const f4 = await readNpy(path.join(NPY, 'f4_2x3.npy'));
  t.deepEqual([f4.dtype, f4.shape, Array.from(f4.data as Float32Array)], ['float32', [2, 3], [0, 0.25, 0.5, 0.75, 1, 1.25]]);
  const u1 = await readNpy(path.join(NPY, 'u1_3x2x2.npy'));
  t.deepEqual([u1.dtype, u1.shape, (u1.data as Uint8Array)[11]], ['uint8', [3, 2, 2], 220]);
  const b1 = await readNpy(path.join(NPY, 'b1_mask.npy'));
  t.deepEqual([b1.dtype, Array.from(b1.data as Uint8Array)], ['bool', [1, 0, 1]]);
  const i4 = await readNpy(path.join(NPY, 'i4_scalar.npy'));
  t.deepEqual([i4.shape, Array.from(i4.data as Int32Array)], [[], [42]]);
  for (const v of ['f4_v2.npy', 'f4_v3.npy']) t.deepEqual(Array.from((await readNpy(path.join(NPY, v))).data as Float32Array), [1.5, -2]);
  const header = "{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }";
  t.deepEqual(Array.from(decodeNpy(withHeader(header, new Float64Array([1, 2, 3]))).data as Float64Array), [1, 2, 3]);
  t.deepEqual(snapshot(NPY), before, 'inputs unchanged');
});

function withHeader(header: string, data: ArrayBufferView = new Uint8Array(0), major = 1): Uint8Array {
  const h = Buffer.from(header, 'latin1');
  const pre = major === 1 ? 10 : 12;
  const out = Buffer.alloc(pre + h.length + data.byteLength);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(out);
  if (major === 1) out.writeUInt16LE(h.length, 8);
  else out.writeUInt32LE(h.length, 8);
  h.copy(out, pre);
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, pre + h.length);
  return out;
}

test('header syntax variants: key order, double quotes, Python 2 long suffix, no trailing comma', (t) => {
  const d = new Float32Array([1, 2]);
  for (const h of [
    "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
    '{"descr": "<f4", "fortran_order": False, "shape": (2L,)}\n',
    "{'descr':'<f4','fortran_order':False,'shape':(1, 2)}",
  ]) {
    t.deepEqual(Array.from(decodeNpy(withHeader(h, d)).data as Float32Array), [1, 2], h);
  }
});

test('bad files give one-line InputErrors naming the file', async (t) => {
  const f32 = new Float32Array([1, 2, 3, 4]);
  const good = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }";
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /is not a \.npy file \(bad magic bytes/],
    ['magic', Buffer.from('PK\x03\x04 not numpy at all'), /bad magic bytes/],
    ['version', withHeader(good, f32, 4), /format version 4\.0, which is not supported/],
    ['header too long', (() => { const b = withHeader(good, f32); b[8] = 0xff; b[9] = 0xff; return b; })(), /truncated inside its header/],
    ['huge v2 header', (() => { const b = withHeader(good, f32, 2); Buffer.from(b.buffer).writeUInt32LE(0xfffffff0, 8); return b; })(), /declares a header of 4294967280 bytes/],
    ['not a dict', withHeader("['descr', '<f4']", f32), /malformed header \(expected '\{'\)/],
    ['missing key', withHeader("{'descr': '<f4', 'shape': (4,)}", f32), /no 'fortran_order'/],
    ['extra key', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", f32), /unexpected key 'x'/],
    ['dup key', withHeader("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", f32), /key 'descr' twice/],
    ['unterminated', withHeader("{'descr': '<f4", f32), /unterminated string/],
    ['garbage', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), } junk", f32), /text after the dict/],
    ['weird char', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (4.0,)}", f32), /unexpected character/],
    ['fortran', withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f32), /Fortran order, which is not supported/],
    ['big-endian', withHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", f32), /big-endian dtype '>f4'/],
    ['half', withHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }", f32), /dtype '<f2', which is not supported/],
    ['unicode', withHeader("{'descr': '<U1', 'fortran_order': False, 'shape': (4,), }", f32), /dtype '<U1', which is not supported/],
    ['object', withHeader("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", f32), /dtype '\|O', which is not supported/],
    ['structured', withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", f32), /structured dtype/],
    ['negative dim', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", f32), /negative dimension/],
    ['float dim', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': ('4',), }", f32), /malformed shape/],
    ['truncated data', withHeader(good, new Float32Array([1, 2, 3])), /is truncated: shape \(4,\) of float32 needs 16 data bytes but the file has 12/],
    ['extra data', withHeader(good, new Float32Array([1, 2, 3, 4, 5])), /has 4 bytes after the data/],
    ['lying shape', withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 100000000000, 100000000000), }", f32), /is truncated: shape/],
  ];
  for (const [name, bytes, re] of cases) {
    const e = t.throws(() => decodeNpy(bytes, 'data/X.npy'), { instanceOf: InputError }, name);
    t.regex(e!.message, /^npy: data\/X\.npy /, name);
    t.regex(e!.message, re, name);
    t.false(e!.message.includes('\n'), name);
  }
  const dir = tmpDir('npy');
  await t.throwsAsync(readNpy(path.join(dir, 'nope.npy')), { instanceOf: InputError, message: /nope\.npy does not exist/ });
  await t.throwsAsync(readNpy(dir), { instanceOf: InputError, message: /is a directory/ });
  await t.throwsAsync(readNpy(path.join(NPY, 'f8_fortran.npy')), { instanceOf: InputError, message: /f8_fortran\.npy is stored in Fortran order/ });
  await t.throwsAsync(readNpy(path.join(NPY, 'f4_bigendian.npy')), { instanceOf: InputError, message: /f4_bigendian\.npy has big-endian dtype/ });
  await t.throwsAsync(readNpy(path.join(NPY, 'f2_half.npy')), { instanceOf: InputError, message: /f2_half\.npy has dtype '<f2'/ });
});

test('fuzz: mutated and truncated files give InputError or a consistent array, never anything else', (t) => {
  const g = xoroshiro128plus(1);
  const seeds = [
    encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]),
    encodeNpy(new BigInt64Array([1n, 2n]), [2]),
    fs.readFileSync(path.join(NPY, 'f4_v3.npy')),
  ];
  let ok = 0;
  let rejected = 0;
  for (let it = 0; it < 3000; it++) {
    const src = seeds[it % seeds.length]!;
    const b = Uint8Array.from(src);
    const kind = uniformInt(g, 0, 2);
    let bytes: Uint8Array = b;
    if (kind === 0) {
      const flips = uniformInt(g, 1, 4);
      for (let k = 0; k < flips; k++) b[uniformInt(g, 0, b.length - 1)] = uniformInt(g, 0, 255);
    } else if (kind === 1) {
      bytes = b.subarray(0, uniformInt(g, 0, b.length));
    } else {
      const i = uniformInt(g, 10, 70);
      b[i] = '0123456789(),:{} \'"-LTrue'.charCodeAt(uniformInt(g, 0, 24));
    }
    try {
      const a = decodeNpy(bytes, 'fuzz.npy');
      const count = a.shape.reduce((x, y) => x * y, 1);
      t.is(a.data.length, count);
      ok++;
    } catch (e) {
      if (!(e instanceof InputError)) t.fail(`iteration ${it}: ${String(e)}`);
      rejected++;
    }
  }
  t.true(ok > 0 && rejected > 0);
});

test('encodeNpy rejects mismatched shape and dtype', (t) => {
  t.throws(() => encodeNpy(new Float32Array(5), [2, 3]), { instanceOf: InputError, message: /has 6 elements but the data has 5/ });
  t.throws(() => encodeNpy(new Float32Array(1), [1], 'int32'), { instanceOf: InputError });
  t.throws(() => encodeNpy([1, 2] as unknown as Float32Array, [2]), { instanceOf: InputError });
});
