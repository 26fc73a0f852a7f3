/**
 * ONNX TensorProto <-> HostTensor. Floats of every width become float32 (float16, bfloat16
 * and float64 with a note); integer types become JS numbers with dtype int64 / int32; bool
 * stays bool. Values come from raw_data (little-endian), the typed fields, or external
 * data handed in by the caller (who has checked the file).
 */
import onnxProto from 'onnx-proto';
import { InputError } from '../../errors.ts';
import { HostTensor, sizeOf, type HostDtype } from './HostTensor.ts';

export type TensorProto = onnxProto.onnx.ITensorProto;
export const DataType = onnxProto.onnx.TensorProto.DataType;

const NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

export function dataTypeName(t: number | null | undefined): string {
  return NAMES[t ?? 0] ?? `type ${t}`;
}

/** What the interpreter makes of each ONNX element type; missing ones are refused. */
const HOST_DTYPE: Record<number, HostDtype> = {
  1: 'float32', 10: 'float32', 11: 'float32', 16: 'float32',
  2: 'int32', 3: 'int32', 4: 'int32', 5: 'int32', 6: 'int32', 12: 'int64', 7: 'int64', 13: 'int64',
  9: 'bool',
};

export function hostDtypeOf(t: number | null | undefined): HostDtype | undefined {
  return HOST_DTYPE[t ?? 0];
}

export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function bf16ToFloat(b: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setUint32(0, (b & 0xffff) << 16, true);
  return buf.getFloat32(0, true);
}

function fromRaw(t: number, raw: Uint8Array, n: number): ArrayLike<number> {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = t === 1 || t === 10 || t === 11 || t === 16 ? new Float32Array(n) : new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (t) {
      case 1: out[i] = dv.getFloat32(4 * i, true); break;
      case 10: out[i] = halfToFloat(dv.getUint16(2 * i, true)); break;
      case 16: out[i] = bf16ToFloat(dv.getUint16(2 * i, true)); break;
      case 11: out[i] = dv.getFloat64(8 * i, true); break;
      case 2: case 9: out[i] = dv.getUint8(i); break;
      case 3: out[i] = dv.getInt8(i); break;
      case 4: out[i] = dv.getUint16(2 * i, true); break;
      case 5: out[i] = dv.getInt16(2 * i, true); break;
      case 6: out[i] = dv.getInt32(4 * i, true); break;
      case 12: out[i] = dv.getUint32(4 * i, true); break;
      case 7: out[i] = Number(dv.getBigInt64(8 * i, true)); break;
      case 13: out[i] = Number(dv.getBigUint64(8 * i, true)); break;
    }
  }
  return out;
}

const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

export function byteSize(t: number): number {
  return BYTES[t] ?? 0;
}

/**
 * Decodes one tensor. `external` returns the bytes of an external-data tensor (the caller
 * checks the location); `what` names the tensor in messages.
 */
export function decodeTensor(tp: TensorProto, what: string, external?: (tp: TensorProto) => Uint8Array): HostTensor {
  const t = tp.dataType ?? 0;
  const dtype = hostDtypeOf(t);
  if (dtype === undefined) {
    throw new InputError(`onnx: ${what} has element type ${dataTypeName(t)}, which sharpness cannot use (float, integer and bool tensors only)`);
  }
  const shape = (tp.dims ?? []).map((d) => toNumber(d));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new InputError(`onnx: ${what} has shape [${shape.join(',')}]; expected non-negative integers`);
  }
  const n = sizeOf(shape);
  let data: ArrayLike<number>;
  const isExternal = tp.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL;
  let raw: Uint8Array | undefined = tp.rawData && tp.rawData.length > 0 ? tp.rawData : undefined;
  if (isExternal) {
    if (!external) throw new InputError(`onnx: ${what} stores its values in an external file, which this reader was not given`);
    raw = external(tp);
  }
  if (raw !== undefined) {
    if (raw.length !== n * byteSize(t)) {
      throw new InputError(`onnx: ${what} has ${raw.length} bytes of data but shape [${shape.join(',')}] of ${dataTypeName(t)} needs ${n * byteSize(t)}`);
    }
    data = fromRaw(t, raw, n);
  } else {
    let field: ArrayLike<number | { toNumber(): number }> = [];
    if (t === 1) field = tp.floatData ?? [];
    else if (t === 11) field = tp.doubleData ?? [];
    else if (t === 7) field = tp.int64Data ?? [];
    else if (t === 12 || t === 13) field = tp.uint64Data ?? [];
    else field = tp.int32Data ?? [];
    if (field.length !== n) {
      throw new InputError(`onnx: ${what} has ${field.length} values but shape [${shape.join(',')}] needs ${n}`);
    }
    const out = dtype === 'float32' ? new Float32Array(n) : new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const v = toNumber(field[i] as number);
      out[i] = t === 10 ? halfToFloat(v) : t === 16 ? bf16ToFloat(v) : v;
    }
    data = out;
  }
  return new HostTensor(dtype, shape, data);
}

/** A float32 TensorProto (raw data) with the given name and shape. */
export function encodeFloat32(name: string, shape: readonly number[], values: Float32Array): onnxProto.onnx.TensorProto {
  const bytes = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return onnxProto.onnx.TensorProto.create({ name, dims: [...shape], dataType: DataType.FLOAT, rawData: bytes });
}
