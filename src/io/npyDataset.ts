/**
 * `npy:X.npy,Y.npy`: features and targets from two .npy files (paths relative to
 * `cwd`, default the process's working directory).
 *
 * X: float32, float64 or uint8, shape [N, ...]; uint8 is scaled by 1/255 (pixels), floats
 *    are taken as they are (and must be finite). A 1-D X [N] is N samples of shape [1].
 * Y: - [N] integer class ids (any integer or bool dtype, or floats with integral values),
 *    - [N, 1] of an integer dtype: class ids too,
 *    - [N, K] one-hot (every row exactly one 1, the rest 0): classes, K classes,
 *    - otherwise [N] or [N, K] numbers: regression targets of dimension K (1 for [N]).
 *    Class ids must be >= 0; the number of classes is max id + 1 (K for one-hot).
 */
import * as path from 'node:path';
import { InputError } from '../errors.ts';
import { makeDataset, type Dataset, type Targets } from './makeDataset.ts';
import { readNpy, type NpyArray } from './npy.ts';

export interface NpyDatasetOptions {
  /** Directory the paths are relative to (default process.cwd()). */
  cwd?: string;
}

const INT_DTYPES = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool']);

function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** The values of a numeric array as float64 numbers (int64 converted exactly when it can be). */
function asNumbers(a: NpyArray): Float64Array | ArrayLike<number> {
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) {
    const out = new Float64Array(a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Number(a.data[i]!);
    return out;
  }
  return a.data as ArrayLike<number>;
}

function features(a: NpyArray, file: string, spec: string): { x: Float32Array; sampleShape: number[] } {
  if (a.dtype !== 'float32' && a.dtype !== 'float64' && a.dtype !== 'uint8') {
    throw new InputError(`data: ${file} (features of ${spec}) has dtype ${a.dtype}; features must be float32, float64 or uint8`);
  }
  if (a.shape.length === 0) throw new InputError(`data: ${file} (features of ${spec}) is a scalar; expected shape [N, ...]`);
  if (a.shape[0] === 0 || a.data.length === 0) throw new InputError(`data: ${file} (features of ${spec}) is empty (shape ${shapeStr(a.shape)})`);
  const sampleShape = a.shape.length === 1 ? [1] : a.shape.slice(1);
  const x = new Float32Array(a.data.length);
  if (a.dtype === 'uint8') {
    const d = a.data as Uint8Array;
    for (let i = 0; i < x.length; i++) x[i] = d[i]! / 255;
  } else {
    const d = a.data as Float32Array | Float64Array;
    for (let i = 0; i < x.length; i++) {
      const v = d[i]!;
      if (!Number.isFinite(v)) throw new InputError(`data: ${file} (features of ${spec}) has a non-finite value (${v}) at flat index ${i}`);
      x[i] = v;
    }
  }
  return { x, sampleShape };
}

function classIds(vals: ArrayLike<number>, n: number, file: string, spec: string): Targets {
  const labels = new Int32Array(n);
  let max = -1;
  for (let i = 0; i < n; i++) {
    const v = vals[i]!;
    if (!Number.isInteger(v)) throw new InputError(`data: ${file} (labels of ${spec}) has non-integer class id ${v} at row ${i}`);
    if (v < 0) throw new InputError(`data: ${file} (labels of ${spec}) has negative class id ${v} at row ${i}; class ids must be >= 0`);
    if (v > 0x7fffffff) throw new InputError(`data: ${file} (labels of ${spec}) has class id ${v} at row ${i}, too large`);
    labels[i] = v;
    if (v > max) max = v;
  }
  return { kind: 'classes', labels, numClasses: max + 1 };
}

function targets(a: NpyArray, n: number, file: string, spec: string): Targets {
  if (a.dtype === 'float32' || a.dtype === 'float64' || INT_DTYPES.has(a.dtype)) {
    // numeric: fine
  } else {
    throw new InputError(`data: ${file} (targets of ${spec}) has dtype ${a.dtype}; expected a numeric dtype`);
  }
  const rows = a.shape[0];
  if (a.shape.length === 0 || a.shape.length > 2) {
    throw new InputError(
      `data: ${file} (targets of ${spec}) has shape ${shapeStr(a.shape)}; expected [N] class ids, [N,K] one-hot or [N,K] regression targets`,
    );
  }
  if (rows !== n) {
    throw new InputError(`data: ${file} (targets of ${spec}) has ${rows} rows but the features have ${n} samples; they must match`);
  }
  const vals = asNumbers(a);
  for (let i = 0; i < vals.length; i++) {
    if (!Number.isFinite(vals[i]!)) throw new InputError(`data: ${file} (targets of ${spec}) has a non-finite value (${vals[i]}) at flat index ${i}`);
  }
  const isInt = INT_DTYPES.has(a.dtype);
  if (a.shape.length === 1) {
    let integral = true;
    for (let i = 0; i < n && integral; i++) integral = Number.isInteger(vals[i]!);
    if (isInt || integral) return classIds(vals, n, file, spec);
    return { kind: 'regression', values: Float32Array.from(vals as ArrayLike<number>), dim: 1 };
  }
  const k = a.shape[1]!;
  if (k === 0) throw new InputError(`data: ${file} (targets of ${spec}) has shape ${shapeStr(a.shape)}, with no target columns`);
  let oneHot = true;
  for (let i = 0; i < n && oneHot; i++) {
    let ones = 0;
    for (let j = 0; j < k; j++) {
      const v = vals[i * k + j]!;
      if (v === 1) ones++;
      else if (v !== 0) {
        oneHot = false;
        break;
      }
    }
    if (ones !== 1) oneHot = false;
  }
  if (oneHot && (k > 1 || !isInt)) {
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) if (vals[i * k + j] === 1) labels[i] = j;
    return { kind: 'classes', labels, numClasses: k };
  }
  if (isInt && k === 1) return classIds(vals, n, file, spec);
  return { kind: 'regression', values: Float32Array.from(vals as ArrayLike<number>), dim: k };
}

/** Loads `npy:X.npy,Y.npy` (see module comment). `spec` is recorded in the Dataset. */
export async function loadNpyDataset(xFile: string, yFile: string, spec: string, options: NpyDatasetOptions = {}): Promise<Dataset> {
  const cwd = options.cwd ?? process.cwd();
  const xp = path.resolve(cwd, xFile);
  const yp = path.resolve(cwd, yFile);
  const xa = await readNpy(xp);
  const { x, sampleShape } = features(xa, xFile, spec);
  const ya = await readNpy(yp);
  const t = targets(ya, xa.shape[0]!, yFile, spec);
  return makeDataset(spec, sampleShape, x, t);
}
