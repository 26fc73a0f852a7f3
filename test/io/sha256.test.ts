import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256File, sha256Hex } from '../../src/io/sha256.ts';
import { tmpDir } from './helpers/files.ts';

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

test('sha256Hex of known input, over strings, bytes and typed-array views alike', (t) => {
  t.is(sha256Hex('abc'), ABC);
  t.is(sha256Hex('a', new Uint8Array([98]), new Uint8Array([0, 99, 0]).subarray(1, 2)), ABC);
  const f = new Float32Array([1, 2]);
  t.is(sha256Hex(f), sha256Hex(new Uint8Array(f.buffer)));
  t.is(sha256Hex(f.buffer), sha256Hex(new Uint8Array(f.buffer)));
});

test('sha256File', async (t) => {
  const f = path.join(tmpDir('sha'), 'x');
  fs.writeFileSync(f, 'abc');
  t.is(await sha256File(f), ABC);
});
