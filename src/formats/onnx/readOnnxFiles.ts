/**
 * Safe reading of an ONNX model and its external-data files: regular files only (no FIFOs
 * or devices), size-bounded, every external-data file's real path inside the model's
 * directory (no absolute paths, no '..', no symlinks out), and long enough for its
 * offset + length. Only ever opens files for reading.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import onnxProto from 'onnx-proto';
import { InputError } from '../../errors.ts';
import { byteSize, toNumber, type TensorProto } from './tensorProto.ts';

/** Protobuf messages are limited to 2 GiB; external data to 16 GiB in all. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;
export const MAX_EXTERNAL_BYTES = 16 * 2 ** 30;

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

async function lstatOrThrow(p: string, what: string) {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') throw new InputError(`onnx: ${what} ${p} does not exist`);
    throw new InputError(`onnx: cannot read ${what} ${p} (${errCode(e) ?? String(e)})`, { cause: e });
  }
}

function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The .onnx file for a path that is a .onnx file or a directory holding exactly one. */
export async function locateOnnx(pathArg: string): Promise<{ file: string; dir: string }> {
  if (typeof pathArg !== 'string' || pathArg === '') throw new InputError(`onnx: expected a .onnx file or a directory holding one, got ${JSON.stringify(pathArg)}`);
  const st = await lstatOrThrow(pathArg, 'model path');
  let isDir = st.isDirectory();
  if (st.isSymbolicLink()) isDir = (await fs.stat(pathArg)).isDirectory();
  if (!isDir) return { file: pathArg, dir: path.dirname(pathArg) };
  const found = (await fs.readdir(pathArg)).filter((f) => f.toLowerCase().endsWith('.onnx')).sort();
  if (found.length !== 1) {
    throw new InputError(
      found.length === 0
        ? `onnx: directory ${pathArg} holds no .onnx file`
        : `onnx: directory ${pathArg} holds ${found.length} .onnx files (${found.slice(0, 3).join(', ')}); pass the path of one`,
    );
  }
  return { file: path.join(pathArg, found[0]!), dir: pathArg };
}

/** Reads a regular file (a symlink given directly is followed, and its target checked). */
async function readRegular(file: string, what: string, max: number, insideDir?: string): Promise<Buffer> {
  const lst = await lstatOrThrow(file, what);
  let real = file;
  if (lst.isSymbolicLink()) {
    real = await fs.realpath(file).catch(() => {
      throw new InputError(`onnx: ${what} ${file} is a broken symlink`);
    });
    if (insideDir !== undefined && !isInside(await fs.realpath(insideDir), real)) {
      throw new InputError(`onnx: ${what} ${file} is a symlink to ${real}, outside the model directory ${insideDir}`);
    }
  }
  const st = await fs.stat(real);
  if (!st.isFile()) throw new InputError(`onnx: ${what} ${file} is not a regular file (a FIFO, device or directory); give a .onnx file`);
  if (st.size > max) throw new InputError(`onnx: ${what} ${file} is ${st.size} bytes, more than the ${max} sharpness reads`);
  return fs.readFile(real);
}

export async function readModelBytes(file: string, dir: string, inDirectory: boolean): Promise<Buffer> {
  return readRegular(file, 'model file', MAX_MODEL_BYTES, inDirectory ? dir : undefined);
}

function externalEntries(tp: TensorProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of tp.externalData ?? []) if (e.key) out[e.key] = e.value ?? '';
  return out;
}

/**
 * Reads the bytes of every external-data initializer, in graph order, after checking each
 * location. Returns a map from the TensorProto to its bytes.
 */
export async function readExternalData(
  tensors: readonly TensorProto[],
  dir: string,
  modelFile: string,
): Promise<Map<TensorProto, Uint8Array>> {
  const out = new Map<TensorProto, Uint8Array>();
  const realDir = await fs.realpath(dir);
  let total = 0;
  for (const tp of tensors) {
    if (tp.dataLocation !== onnxProto.onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const name = tp.name ?? '?';
    const ext = externalEntries(tp);
    const loc = ext['location'];
    if (!loc) throw new InputError(`onnx: initializer '${name}' in ${modelFile} has external data without a location`);
    if (path.isAbsolute(loc) || loc.split(/[\\/]/).includes('..')) {
      throw new InputError(`onnx: initializer '${name}' in ${modelFile} has external data at '${loc}'; only paths inside the model directory are read`);
    }
    const file = path.join(dir, loc);
    const lst = await lstatOrThrow(file, `external data of '${name}'`);
    const real = await fs.realpath(file);
    if (!isInside(realDir, real)) {
      throw new InputError(`onnx: external data '${loc}' of initializer '${name}' resolves to ${real}, outside the model directory ${dir}`);
    }
    const st = lst.isSymbolicLink() ? await fs.stat(real) : lst;
    if (!st.isFile()) throw new InputError(`onnx: external data '${loc}' of initializer '${name}' is not a regular file`);
    const n = (tp.dims ?? []).reduce<number>((a, d) => a * toNumber(d), 1);
    const need = n * byteSize(tp.dataType ?? 0);
    const offset = ext['offset'] !== undefined ? Number(ext['offset']) : 0;
    const length = ext['length'] !== undefined ? Number(ext['length']) : need;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new InputError(`onnx: initializer '${name}' has external offset ${ext['offset']} / length ${ext['length']}; expected integers >= 0`);
    }
    if (length !== need) throw new InputError(`onnx: initializer '${name}' has external length ${length} but its shape needs ${need} bytes`);
    if (offset + length > st.size) {
      throw new InputError(`onnx: external data '${loc}' is ${st.size} bytes, too short for initializer '${name}' (offset ${offset} + length ${length})`);
    }
    total += length;
    if (total > MAX_EXTERNAL_BYTES) throw new InputError(`onnx: external data of ${modelFile} is more than ${MAX_EXTERNAL_BYTES} bytes`);
    const fh = await fs.open(real, 'r');
    try {
      const buf = new Uint8Array(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      if (bytesRead !== length) throw new InputError(`onnx: external data '${loc}' ended early while reading initializer '${name}'`);
      out.set(tp, buf);
    } finally {
      await fh.close();
    }
  }
  return out;
}
