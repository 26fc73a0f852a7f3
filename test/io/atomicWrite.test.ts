import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/errors.ts';
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../../src/io/atomicWrite.ts';
import { tmpDir } from './helpers/files.ts';

test('writeFileAtomic writes and replaces, leaving no temporary file', async (t) => {
  const dir = tmpDir('aw');
  const f = path.join(dir, 'a.txt');
  await writeFileAtomic(f, 'one');
  await writeFileAtomic(f, new Uint8Array([116, 119, 111]));
  t.is(fs.readFileSync(f, 'utf8'), 'two');
  t.deepEqual(fs.readdirSync(dir), ['a.txt']);
});

test('writeJsonAtomic writes indented JSON with a final newline', async (t) => {
  const f = path.join(tmpDir('aw'), 'r.json');
  await writeJsonAtomic(f, { a: [1, 2] });
  t.is(fs.readFileSync(f, 'utf8'), '{\n  "a": [\n    1,\n    2\n  ]\n}\n');
});

test('writeFileAtomic into a missing directory is an InputError naming the file', async (t) => {
  const f = path.join(tmpDir('aw'), 'no', 'such', 'x.json');
  await t.throwsAsync(writeFileAtomic(f, 'x'), { instanceOf: InputError, message: new RegExp(`cannot write ${f}`) });
});

test('writeDirAtomic creates, refuses non-empty, overwrites', async (t) => {
  const root = tmpDir('aw');
  const d = path.join(root, 'out', 'ck');
  await writeDirAtomic(d, { 'a.txt': 'A', 'sub/b.bin': new Uint8Array([1, 2]) });
  t.is(fs.readFileSync(path.join(d, 'a.txt'), 'utf8'), 'A');
  t.deepEqual([...fs.readFileSync(path.join(d, 'sub', 'b.bin'))], [1, 2]);
  await t.throwsAsync(writeDirAtomic(d, { 'c.txt': 'C' }), { instanceOf: InputError, message: /exists and is not empty/ });
  t.true(fs.existsSync(path.join(d, 'a.txt')));
  await writeDirAtomic(d, { 'c.txt': 'C' }, { overwrite: true });
  t.deepEqual(fs.readdirSync(d), ['c.txt']);
  t.deepEqual(fs.readdirSync(path.dirname(d)), ['ck'], 'no temp or old directories left');
});

test('writeDirAtomic fills an existing empty directory and refuses a file in the way', async (t) => {
  const root = tmpDir('aw');
  const d = path.join(root, 'empty');
  fs.mkdirSync(d);
  await writeDirAtomic(d, { 'x.txt': 'X' });
  t.deepEqual(fs.readdirSync(d), ['x.txt']);
  const f = path.join(root, 'file');
  fs.writeFileSync(f, 'keep');
  await t.throwsAsync(writeDirAtomic(f, { 'x.txt': 'X' }, { overwrite: true }), { instanceOf: InputError, message: /is not a directory/ });
  t.is(fs.readFileSync(f, 'utf8'), 'keep');
});

test('writeDirAtomic rejects entry names that leave the directory', async (t) => {
  const d = path.join(tmpDir('aw'), 'ck');
  for (const name of ['../x', '/abs', 'a/../../b', '']) {
    await t.throwsAsync(writeDirAtomic(d, { [name]: 'x' }), { instanceOf: InputError, message: /bad file name/ });
  }
  t.false(fs.existsSync(d));
});
