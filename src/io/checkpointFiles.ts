/**
 * Reading and validating the files of a TensorFlow.js layers-model checkpoint, before any
 * model is built: `model.json` (parses, has a topology and a weights manifest), every
 * manifest path (stays inside the checkpoint directory, symlinks included), every weight
 * file (exists, and each manifest group's files add up to exactly the bytes its tensors
 * need), and the weight values (finite). Files are only ever opened for reading.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../errors.ts';
import { MAX_BYTES, isHdf5, jsonErrorWhere, readInputFileSync } from './safeRead.ts';
import type { tf } from '../engine/tf.ts';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const SIDECAR_JSON = 'sharpness.json';

type ModelJSON = tf.io.ModelJSON;
type WeightsManifestEntry = tf.io.WeightsManifestEntry;

/** Weight dtypes a layers checkpoint may hold, with their byte sizes. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** One group of the weights manifest with its files read and concatenated. */
export interface WeightGroupData {
  /** Manifest paths, as written in model.json. */
  paths: string[];
  /** The same files as shown to users: the checkpoint directory joined with each path. */
  files: string[];
  /** Start of each file within `bytes`. */
  fileOffsets: number[];
  specs: WeightsManifestEntry[];
  /** Start of each spec's bytes within `bytes`. */
  specOffsets: number[];
  /** The group's files concatenated in manifest order. */
  bytes: Uint8Array;
}

export interface CheckpointFiles {
  /** The checkpoint directory, as given (or the directory of the given model.json). */
  dir: string;
  /** Path of model.json, as shown to users. */
  modelJsonPath: string;
  /** model.json, parsed and checked. */
  modelJson: ModelJSON;
  groups: WeightGroupData[];
}

export interface CheckpointLocation {
  dir: string;
  modelJsonPath: string;
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function fmtShape(shape: readonly unknown[]): string {
  return `[${shape.map((d) => (d === null || d === undefined ? 'null' : String(d))).join(',')}]`;
}

function short(x: unknown): string {
  let s: string;
  try {
    s = typeof x === 'string' ? `'${x}'` : (JSON.stringify(x) ?? String(x));
  } catch {
    s = String(x);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Finds model.json for a checkpoint given as a directory or as the path of its model.json
 * (any `.json` file name, e.g. `my-model.json` from a browser download).
 */
export async function locateCheckpoint(pathOrDir: string): Promise<CheckpointLocation> {
  if (typeof pathOrDir !== 'string' || pathOrDir === '') {
    throw new InputError(`checkpoint: expected a checkpoint directory or model.json path, got ${short(pathOrDir)}`);
  }
  let st;
  try {
    st = await fs.stat(pathOrDir);
  } catch (e) {
    if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') {
      throw new InputError(`checkpoint: ${pathOrDir} does not exist; give a checkpoint directory (holding model.json) or its model.json`);
    }
    throw new InputError(`checkpoint: cannot read ${pathOrDir} (${errCode(e) ?? String(e)})`, { cause: e });
  }
  if (st.isDirectory()) {
    const modelJsonPath = path.join(pathOrDir, MODEL_JSON);
    try {
      await fs.stat(modelJsonPath);
    } catch {
      let others: string[] = [];
      try {
        others = (await fs.readdir(pathOrDir)).filter((f) => f.endsWith('.json') && f !== SIDECAR_JSON).sort();
      } catch {
        // no hint then
      }
      const hint = others.length > 0 ? ` (found ${others.slice(0, 3).join(', ')}: pass the path of the model's .json file instead)` : '';
      throw new InputError(`checkpoint: ${modelJsonPath} does not exist; a checkpoint directory must hold a TensorFlow.js model.json${hint}`);
    }
    return { dir: pathOrDir, modelJsonPath };
  }
  return { dir: path.dirname(pathOrDir), modelJsonPath: pathOrDir };
}

/** Bytes one manifest entry takes in its weight file (quantized entries take the quantized size). */
export function weightEntryByteSize(entry: WeightsManifestEntry): number {
  const per = entry.quantization ? QUANTIZED_BYTES[entry.quantization.dtype]! : DTYPE_BYTES[entry.dtype]!;
  let n = 1;
  for (const d of entry.shape) n *= d;
  return n * per;
}

function checkEntry(e: unknown, where: string, file: string, seen: Set<string>): WeightsManifestEntry {
  if (!isPlainObject(e)) throw new InputError(`checkpoint: ${file} has a weightsManifest entry that is not an object (${where}: ${short(e)})`);
  const name = e['name'];
  if (typeof name !== 'string' || name === '') {
    throw new InputError(`checkpoint: ${file} has a weightsManifest entry without a name (${where})`);
  }
  if (seen.has(name)) throw new InputError(`checkpoint: ${file} lists weight ${name} twice in its weightsManifest`);
  seen.add(name);
  const shape = e['shape'];
  if (
    !Array.isArray(shape) ||
    shape.length > 16 ||
    !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw new InputError(`checkpoint: weight ${name} in ${file} has shape ${short(shape)}; expected a list of integers >= 0`);
  }
  let elems = 1;
  for (const d of shape as number[]) {
    elems *= d;
    if (!Number.isSafeInteger(elems * 8)) {
      throw new InputError(`checkpoint: weight ${name} in ${file} has shape ${fmtShape(shape)}, which is too large to load`);
    }
  }
  const dtype = e['dtype'] ?? 'float32';
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    throw new InputError(
      `checkpoint: weight ${name} in ${file} has dtype ${short(dtype)}, which sharpness cannot load; expected float32, int32 or bool`,
    );
  }
  const q = e['quantization'];
  if (q !== undefined && q !== null) {
    if (!isPlainObject(q) || typeof q['dtype'] !== 'string' || !(q['dtype'] in QUANTIZED_BYTES)) {
      throw new InputError(
        `checkpoint: weight ${name} in ${file} has quantization ${short(q)}; expected dtype uint8, uint16 or float16`,
      );
    }
    if (q['dtype'] !== 'float16') {
      for (const k of ['scale', 'min'] as const) {
        if (typeof q[k] !== 'number' || !Number.isFinite(q[k])) {
          throw new InputError(`checkpoint: weight ${name} in ${file} has quantization ${k} ${short(q[k])}; expected a finite number`);
        }
      }
    }
    if (dtype !== 'float32') {
      throw new InputError(`checkpoint: weight ${name} in ${file} is quantized but has dtype ${dtype}; only float32 weights can be quantized`);
    }
  }
  const group = e['group'];
  if (group !== undefined && group !== 'model' && group !== 'optimizer') {
    throw new InputError(`checkpoint: weight ${name} in ${file} has group ${short(group)}; expected 'model' or 'optimizer'`);
  }
  // A copy with the dtype filled in (it defaults to float32).
  return { ...(e as unknown as WeightsManifestEntry), dtype: dtype as WeightsManifestEntry['dtype'] };
}

/**
 * Parses and checks the text of a model.json: a JSON object in the 'layers-model' format
 * with a modelTopology object and a well-formed weightsManifest.
 */
export function parseModelJson(text: string, file: string): ModelJSON {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // The reason without quoting the file: it could be any file's contents.
    throw new InputError(`checkpoint: ${file} is not valid JSON (${jsonErrorWhere(e, text)}); expected a TensorFlow.js model.json`);
  }
  if (!isPlainObject(parsed)) {
    throw new InputError(`checkpoint: ${file} is not a TensorFlow.js model.json (expected a JSON object with modelTopology and weightsManifest)`);
  }
  const format = parsed['format'];
  if (format !== undefined && format !== null && format !== 'layers-model') {
    if (format === 'graph-model') {
      throw new InputError(
        `checkpoint: ${file} is a graph model (format 'graph-model'); sharpness needs a layers model (convert with --output_format=tfjs_layers_model)`,
      );
    }
    throw new InputError(`checkpoint: ${file} has format ${short(format)}; expected 'layers-model'`);
  }
  const topology = parsed['modelTopology'];
  if (topology === undefined || topology === null) {
    throw new InputError(`checkpoint: ${file} has no modelTopology; expected a TensorFlow.js layers model.json`);
  }
  if (!isPlainObject(topology)) {
    throw new InputError(`checkpoint: ${file} has a modelTopology that is not an object (${short(topology)})`);
  }
  const root = isPlainObject(topology['model_config']) ? topology['model_config'] : topology;
  if (typeof root['class_name'] !== 'string') {
    throw new InputError(`checkpoint: ${file} has a modelTopology without a class_name; expected a Keras model config`);
  }
  const manifest = parsed['weightsManifest'];
  if (manifest === undefined || manifest === null) {
    throw new InputError(`checkpoint: ${file} has no weightsManifest; a checkpoint needs weights, not only a topology`);
  }
  if (!Array.isArray(manifest)) {
    throw new InputError(`checkpoint: ${file} has a weightsManifest that is not a list (${short(manifest)})`);
  }
  const seen = new Set<string>();
  manifest.forEach((g, gi) => {
    if (!isPlainObject(g) || !Array.isArray(g['paths']) || !Array.isArray(g['weights'])) {
      throw new InputError(`checkpoint: ${file} has weightsManifest group ${gi + 1} without 'paths' and 'weights' lists`);
    }
    g['paths'].forEach((p) => {
      if (typeof p !== 'string') {
        throw new InputError(`checkpoint: ${file} has a weight file path that is not a string (${short(p)}) in group ${gi + 1}`);
      }
    });
    g['weights'] = g['weights'].map((e, ei) => checkEntry(e, `group ${gi + 1}, entry ${ei + 1}`, file, seen));
  });
  const um = parsed['userDefinedMetadata'];
  if (um !== undefined && um !== null && !isPlainObject(um)) {
    throw new InputError(`checkpoint: ${file} has userDefinedMetadata that is not an object`);
  }
  return parsed as unknown as ModelJSON;
}

/** Rejects manifest paths that could leave the checkpoint directory (before touching the file system). */
export function checkManifestPath(p: string, modelJsonPath: string): void {
  const bad = (why: string): never => {
    throw new InputError(`checkpoint: ${modelJsonPath} lists weight file '${p}', ${why}; weight files must lie inside the checkpoint directory`);
  };
  if (p === '') bad('an empty path');
  if (p.includes('\0')) bad('a path with a NUL character');
  if (path.isAbsolute(p) || path.posix.isAbsolute(p) || path.win32.isAbsolute(p) || /^[a-zA-Z]:/.test(p)) bad('an absolute path');
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(p)) bad('a URL');
  const parts = p.split(/[\\/]+/);
  if (parts.includes('..')) bad("a path with '..'");
  if (parts.every((s) => s === '' || s === '.')) bad('not a file name');
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && rel.split(path.sep)[0] !== '..';
}

/**
 * Reads model.json and all weight files of a checkpoint and checks them (see module
 * comment) without building a model. Does not check that weights are finite: see
 * `findNonFiniteWeights`.
 */
export async function readCheckpointFiles(pathOrDir: string): Promise<CheckpointFiles> {
  const { dir, modelJsonPath } = await locateCheckpoint(pathOrDir);
  // Inside the checkpoint directory, a regular file (a FIFO cannot hang us), bounded in size.
  const raw = readInputFileSync(modelJsonPath, {
    what: 'checkpoint',
    within: dir,
    withinName: `the checkpoint directory ${dir}`,
    maxBytes: MAX_BYTES.modelJson,
  });
  if (isHdf5(raw)) {
    throw new InputError(
      `checkpoint: ${modelJsonPath} is an HDF5 file (a Keras .h5 model), not a TensorFlow.js model.json; convert it with tensorflowjs_converter --input_format keras, or export the model to ONNX`,
    );
  }
  const modelJson = parseModelJson(raw.toString('utf8'), modelJsonPath);
  let realDir: string;
  try {
    realDir = await fs.realpath(dir);
  } catch (e) {
    throw new InputError(`checkpoint: cannot resolve directory ${dir} (${errCode(e) ?? String(e)})`, { cause: e });
  }
  // All path checks first, then existence and sizes, then reading.
  for (const g of modelJson.weightsManifest) for (const p of g.paths) checkManifestPath(p, modelJsonPath);

  const groups: WeightGroupData[] = [];
  // Each weight file is read once: a manifest naming one file twice (in one group or in
  // several) would multiply what a tiny checkpoint makes us read.
  const listed = new Map<string, string>();
  for (const g of modelJson.weightsManifest) {
    for (const p of g.paths) {
      const file = path.join(dir, p);
      let real: string;
      try {
        real = await fs.realpath(file);
      } catch {
        continue; // reported below
      }
      const first = listed.get(real);
      if (first !== undefined) {
        throw new InputError(
          `checkpoint: ${modelJsonPath} lists weight file ${first} twice${first === file ? '' : ` (also as ${file})`}; each weight file may hold one part of the weights`,
        );
      }
      listed.set(real, file);
    }
  }
  for (const [gi, g] of modelJson.weightsManifest.entries()) {
    const files = g.paths.map((p) => path.join(dir, p));
    const sizes: number[] = [];
    const realFiles: string[] = [];
    for (const file of files) {
      let real: string;
      try {
        real = await fs.realpath(file);
      } catch (e) {
        if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') {
          throw new InputError(`checkpoint: weight file ${file} listed in ${modelJsonPath} does not exist`);
        }
        throw new InputError(`checkpoint: cannot read weight file ${file} (${errCode(e) ?? String(e)})`, { cause: e });
      }
      if (!isInside(realDir, real)) {
        throw new InputError(
          `checkpoint: weight file ${file} listed in ${modelJsonPath} resolves to ${real}, outside the checkpoint directory; copy the file into the checkpoint instead of linking it`,
        );
      }
      const st = await fs.stat(real);
      if (!st.isFile()) throw new InputError(`checkpoint: weight file ${file} listed in ${modelJsonPath} is not a regular file`);
      sizes.push(st.size);
      realFiles.push(real);
    }
    const specOffsets: number[] = [];
    let need = 0;
    for (const s of g.weights) {
      specOffsets.push(need);
      need += weightEntryByteSize(s);
    }
    const have = sizes.reduce((a, b) => a + b, 0);
    if (files.length === 0 && need > 0) {
      throw new InputError(
        `checkpoint: ${modelJsonPath} lists ${g.weights.length} tensors (group ${gi + 1}) of ${need} bytes but no weight files for them`,
      );
    }
    if (have !== need) {
      const what = files.length === 1 ? `${files[0]} has` : `weight files ${files.join(', ')} have`;
      const verdict = have < need ? 'truncated' : 'too large';
      throw new InputError(
        `checkpoint: ${what} ${have} bytes but ${modelJsonPath} lists ${g.weights.length} tensors (group ${gi + 1}) that need ${need} bytes; the weight data is ${verdict} (dtype or shape mismatch, or a damaged file)`,
      );
    }
    const bytes = new Uint8Array(need);
    const fileOffsets: number[] = [];
    let off = 0;
    for (const [i, real] of realFiles.entries()) {
      fileOffsets.push(off);
      const buf = readInputFileSync(real, { what: 'checkpoint: weight file', within: realDir, maxBytes: sizes[i]! });
      if (buf.length !== sizes[i] || off + buf.length > need) {
        throw new InputError(`checkpoint: weight file ${files[i]} changed while it was being read; try again`);
      }
      bytes.set(buf, off);
      off += buf.length;
    }
    groups.push({ paths: [...g.paths], files, fileOffsets, specs: g.weights, specOffsets, bytes });
  }
  return { dir, modelJsonPath, modelJson, groups };
}

/** A weight whose values include NaN or +-Infinity. */
export interface NonFiniteWeight {
  name: string;
  /** The file holding the first bad value. */
  file: string;
  count: number;
  /** Flat index (C order) of the first bad value. */
  firstIndex: number;
}

function float16IsFinite(h: number): boolean {
  return (h & 0x7c00) !== 0x7c00;
}

/** A weight in a byte buffer with NaN or infinite values. */
export interface NonFiniteRun {
  name: string;
  count: number;
  /** Flat index (C order) of the first bad value. */
  firstIndex: number;
  /** Byte offset of the first bad value within the buffer. */
  byteOffset: number;
}

/**
 * Scans the float32 (and float16-quantized) tensors laid out back to back in `bytes` as
 * `specs` describe (little-endian, manifest order) for NaN and infinite values.
 */
export function scanNonFinite(specs: readonly WeightsManifestEntry[], bytes: Uint8Array): NonFiniteRun[] {
  const out: NonFiniteRun[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  for (const s of specs) {
    const size = weightEntryByteSize(s);
    const q = s.quantization?.dtype;
    if (s.dtype === 'float32' && (q === undefined || q === 'float16') && start + size <= bytes.byteLength) {
      const width = q === 'float16' ? 2 : 4;
      const n = size / width;
      let count = 0;
      let first = -1;
      for (let k = 0; k < n; k++) {
        const ok =
          width === 4 ? Number.isFinite(view.getFloat32(start + 4 * k, true)) : float16IsFinite(view.getUint16(start + 2 * k, true));
        if (!ok) {
          if (first < 0) first = k;
          count++;
        }
      }
      if (count > 0) out.push({ name: s.name, count, firstIndex: first, byteOffset: start + first * width });
    }
    start += size;
  }
  return out;
}

/** Lists the weights of a checkpoint with NaN or infinite values (float32 and float16-quantized tensors). */
export function findNonFiniteWeights(files: CheckpointFiles): NonFiniteWeight[] {
  const out: NonFiniteWeight[] = [];
  for (const g of files.groups) {
    for (const r of scanNonFinite(g.specs, g.bytes)) {
      let fi = 0;
      while (fi + 1 < g.fileOffsets.length && g.fileOffsets[fi + 1]! <= r.byteOffset) fi++;
      out.push({ name: r.name, file: g.files[fi]!, count: r.count, firstIndex: r.firstIndex });
    }
  }
  return out;
}

/** Throws an InputError naming the first weight with NaN or infinite values. */
export function assertFiniteWeights(files: CheckpointFiles): void {
  const bad = findNonFiniteWeights(files);
  if (bad.length === 0) return;
  const b = bad[0]!;
  const more = bad.length > 1 ? ` (and ${bad.length - 1} more weight${bad.length > 2 ? 's' : ''})` : '';
  throw new InputError(
    `checkpoint: weight ${b.name} in ${b.file} has ${b.count} non-finite value${b.count === 1 ? '' : 's'} (first at index ${b.firstIndex})${more}; the checkpoint holds NaN or Infinity`,
  );
}
