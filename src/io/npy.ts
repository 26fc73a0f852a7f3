/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), read and written without a
 * dependency. npyjs (the npm reader) was evaluated and not used: it finds header fields
 * with regular expressions, ignores fortran_order, never checks that the data length
 * matches the shape, reads a big-endian dtype as little-endian or throws a bare Error,
 * and lets DataView/typed-array RangeErrors escape on short files. This reader parses the
 * header dict strictly and bounds every allocation by the file's actual size, so a
 * damaged or lying file gives a one-line InputError and nothing else.
 *
 * Supported: little-endian (or byte-order-free) float32, float64, int8/16/32/64,
 * uint8/16/32/64 and bool, C order (Fortran order only where it is the same, rank <= 1).
 */
import { InputError } from '../errors.ts';
import { writeFileAtomic } from './atomicWrite.ts';
import { MAX_BYTES, readInputFileSync } from './safeRead.ts';

export const NpyDtype = {
  float32: 'float32',
  float64: 'float64',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  bool: 'bool',
} as const;
export type NpyDtype = (typeof NpyDtype)[keyof typeof NpyDtype];
export function isNpyDtype(x: unknown): x is NpyDtype {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(NpyDtype, x);
}

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** Values in C (row-major) order; `bool` arrays are Uint8Array of 0/1. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy itself refuses headers over 10,000 bytes by default; allow more, but bounded. */
const MAX_HEADER_BYTES = 1 << 20;
const MAX_RANK = 64;

interface DtypeInfo {
  dtype: NpyDtype;
  size: number;
  make: (buf: ArrayBuffer) => NpyData;
}

const BY_CODE: Record<string, DtypeInfo> = {
  f4: { dtype: 'float32', size: 4, make: (b) => new Float32Array(b) },
  f8: { dtype: 'float64', size: 8, make: (b) => new Float64Array(b) },
  i1: { dtype: 'int8', size: 1, make: (b) => new Int8Array(b) },
  i2: { dtype: 'int16', size: 2, make: (b) => new Int16Array(b) },
  i4: { dtype: 'int32', size: 4, make: (b) => new Int32Array(b) },
  i8: { dtype: 'int64', size: 8, make: (b) => new BigInt64Array(b) },
  u1: { dtype: 'uint8', size: 1, make: (b) => new Uint8Array(b) },
  u2: { dtype: 'uint16', size: 2, make: (b) => new Uint16Array(b) },
  u4: { dtype: 'uint32', size: 4, make: (b) => new Uint32Array(b) },
  u8: { dtype: 'uint64', size: 8, make: (b) => new BigUint64Array(b) },
  b1: { dtype: 'bool', size: 1, make: (b) => new Uint8Array(b) },
};

const CODE_OF: Record<NpyDtype, string> = {
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  uint16: '<u2',
  uint32: '<u4',
  uint64: '<u8',
  bool: '|b1',
};

const SUPPORTED = 'float32, float64, int8-int64, uint8-uint64 or bool';

// ---------------------------------------------------------------------------------------
// The header: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// parsed by a small tokenizer (strings, True/False/None, integers, punctuation).

type Tok =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'id'; v: string }
  | { t: 'punct'; v: string };

type HeaderValue = string | boolean | null | bigint | bigint[];

function tokenize(s: string, fail: (why: string) => never): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
    } else if ('{}(),:[]'.includes(c)) {
      out.push({ t: 'punct', v: c });
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let v = '';
      while (j < s.length && s[j] !== c) {
        if (s[j] === '\\') {
          if (j + 1 >= s.length) break;
          v += s[j + 1];
          j += 2;
        } else {
          v += s[j];
          j++;
        }
      }
      if (j >= s.length) fail('has an unterminated string in its header');
      out.push({ t: 'str', v });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(s[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < s.length && /[0-9]/.test(s[j]!)) j++;
      if (j - i > 40) fail('has a number too long in its header');
      out.push({ t: 'int', v: BigInt(s.slice(i, j)) });
      if (s[j] === 'L' || s[j] === 'l') j++; // Python 2 long suffix
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
      out.push({ t: 'id', v: s.slice(i, j) });
      i = j;
    } else {
      fail(`has an unexpected character ${JSON.stringify(c)} in its header`);
    }
  }
  return out;
}

function parseHeaderDict(s: string, fail: (why: string) => never): Map<string, HeaderValue> {
  const toks = tokenize(s, fail);
  let p = 0;
  const peek = (): Tok | undefined => toks[p];
  const isP = (v: string): boolean => peek()?.t === 'punct' && peek()!.v === v;
  const expectP = (v: string): void => {
    if (!isP(v)) fail(`has a malformed header (expected '${v}')`);
    p++;
  };
  const value = (): HeaderValue => {
    const t = peek();
    if (!t) fail('has a malformed header (unexpected end)');
    if (t.t === 'str') {
      p++;
      return t.v;
    }
    if (t.t === 'int') {
      p++;
      return t.v;
    }
    if (t.t === 'id') {
      p++;
      if (t.v === 'True') return true;
      if (t.v === 'False') return false;
      if (t.v === 'None') return null;
      fail(`has an unexpected word '${t.v.slice(0, 20)}' in its header`);
    }
    if (isP('(')) {
      p++;
      const items: bigint[] = [];
      while (!isP(')')) {
        const u = peek();
        if (!u || u.t !== 'int') fail('has a malformed shape in its header (expected integers)');
        items.push(u.v);
        p++;
        if (isP(',')) p++;
        else if (!isP(')')) fail("has a malformed shape in its header (expected ',' or ')')");
      }
      p++;
      return items;
    }
    if (isP('[')) fail('has a structured dtype, which is not supported; save a plain numeric array');
    fail('has a malformed header');
  };
  expectP('{');
  const out = new Map<string, HeaderValue>();
  while (!isP('}')) {
    const k = peek();
    if (!k || k.t !== 'str') fail('has a malformed header (expected a quoted key)');
    p++;
    expectP(':');
    if (out.has(k.v)) fail(`has the key '${k.v.slice(0, 20)}' twice in its header`);
    out.set(k.v, value());
    if (isP(',')) p++;
    else if (!isP('}')) fail("has a malformed header (expected ',' or '}')");
  }
  p++;
  if (p !== toks.length) fail('has a malformed header (text after the dict)');
  return out;
}

/** Parses the bytes of a .npy file; `file` names it in error messages. */
export function decodeNpy(bytes: Uint8Array, file = 'the .npy data'): NpyArray {
  const fail = (why: string): never => {
    throw new InputError(`npy: ${file} ${why}`);
  };
  if (bytes.byteLength < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    fail('is not a .npy file (bad magic bytes; expected \\x93NUMPY); save it with numpy.save');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) fail('is truncated inside its header');
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  } else {
    return fail(`has format version ${major}.${minor}, which is not supported (1.0, 2.0 or 3.0)`);
  }
  if (headerLen > MAX_HEADER_BYTES) fail(`declares a header of ${headerLen} bytes, more than the ${MAX_HEADER_BYTES} allowed`);
  if (headerStart + headerLen > bytes.byteLength) {
    fail(`is truncated inside its header (header of ${headerLen} bytes, file of ${bytes.byteLength})`);
  }
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLen);
  let header: string;
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(headerBytes);
  } catch {
    return fail('has a header that is not valid text');
  }
  const dict = parseHeaderDict(header, fail);
  for (const k of dict.keys()) {
    if (k !== 'descr' && k !== 'fortran_order' && k !== 'shape') fail(`has an unexpected key '${k.slice(0, 20)}' in its header`);
  }
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shapeV = dict.get('shape');
  if (typeof descr !== 'string') fail("has no 'descr' (dtype) string in its header");
  if (typeof fortran !== 'boolean') fail("has no 'fortran_order' True/False in its header");
  if (!Array.isArray(shapeV)) fail("has no 'shape' tuple in its header");
  const d = descr as string;
  const m = /^([<>|=])?([a-zA-Z])(\d+)$/.exec(d);
  const info = m ? BY_CODE[`${m[2]}${m[3]}`] : undefined;
  if (!m || !info) return fail(`has dtype '${d.slice(0, 20)}', which is not supported; use ${SUPPORTED}`);
  const order = m[1] ?? '|';
  if (order === '>' && info.size > 1) {
    fail(`has big-endian dtype '${d}'; convert it with arr.astype(arr.dtype.newbyteorder('<')) before saving`);
  }
  const shapeBig = shapeV as bigint[];
  if (shapeBig.length > MAX_RANK) fail(`has ${shapeBig.length} dimensions, more than ${MAX_RANK}`);
  if (shapeBig.some((x) => x < 0n)) fail(`has a negative dimension in shape (${shapeBig.join(', ')})`);
  if (fortran === true && shapeBig.length > 1) {
    fail('is stored in Fortran order, which is not supported; save np.ascontiguousarray(arr) instead');
  }
  const count = shapeBig.reduce((a, b) => a * b, 1n);
  const dataStart = headerStart + headerLen;
  const dataBytes = BigInt(bytes.byteLength - dataStart);
  const need = count * BigInt(info.size);
  const shapeStr = `(${shapeBig.join(', ')}${shapeBig.length === 1 ? ',' : ''})`;
  if (need > dataBytes) {
    fail(`is truncated: shape ${shapeStr} of ${info.dtype} needs ${need} data bytes but the file has ${dataBytes}`);
  }
  if (need < dataBytes) {
    fail(`has ${dataBytes - need} bytes after the data that shape ${shapeStr} of ${info.dtype} describes; the header and the data disagree`);
  }
  const start = bytes.byteOffset + dataStart;
  const buf = bytes.buffer.slice(start, start + Number(need)) as ArrayBuffer; // a fresh, aligned copy
  return { dtype: info.dtype, shape: shapeBig.map((x) => Number(x)), data: info.make(buf) };
}

/** The dtype a typed array is written as (Uint8Array: uint8 unless `bool` is asked for). */
export function npyDtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigUint64Array) return 'uint64';
  throw new InputError(`npy: cannot write values of type ${(data as object)?.constructor?.name ?? typeof data}; use a typed array`);
}

/** Encodes a C-order array as .npy (format 1.0, or 2.0 for very long headers). */
export function encodeNpy(data: NpyData, shape: readonly number[], dtype?: NpyDtype): Uint8Array {
  const natural = npyDtypeOf(data);
  const dt = dtype ?? natural;
  if (!(dt === natural || (dt === 'bool' && natural === 'uint8'))) {
    throw new InputError(`npy: cannot write a ${data.constructor.name} as dtype ${dt}`);
  }
  if (!Array.isArray(shape) || !shape.every((x) => Number.isSafeInteger(x) && x >= 0)) {
    throw new InputError(`npy: shape must be a list of integers >= 0, got ${JSON.stringify(shape)}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new InputError(`npy: shape [${shape.join(',')}] has ${count} elements but the data has ${data.length}`);
  }
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${CODE_OF[dt]}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const v1 = dict.length + 11 <= 65535;
  const pre = v1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (v1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[pre + i] = dict.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

/** Reads a .npy file. */
export async function readNpy(file: string): Promise<NpyArray> {
  // A regular file only (opened non-blocking: a FIFO cannot hang us), of bounded size.
  return decodeNpy(readInputFileSync(file, { what: 'npy', maxBytes: MAX_BYTES.dataFile }), file);
}

/** Writes a C-order array as a .npy file, atomically. */
export async function writeNpy(file: string, data: NpyData, shape: readonly number[], dtype?: NpyDtype): Promise<void> {
  await writeFileAtomic(file, encodeNpy(data, shape, dtype));
}
