/**
 * Builds small ONNX models in tests with onnx-proto's own message classes.
 */
import onnxProto from 'onnx-proto';

const P = onnxProto.onnx;
const AT = P.AttributeProto.AttributeType;

export type Attr = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string } | { t: onnxProto.onnx.ITensorProto };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
  name?: string;
  domain?: string;
}

export type InitDtype = 'float32' | 'int64' | 'float16' | 'float64';

export interface InitSpec {
  name: string;
  shape: number[];
  data: ArrayLike<number>;
  dtype?: InitDtype;
  /** Store the values in this external file instead (relative location, offset 0 unless given). */
  external?: { location: string; offset?: number };
}

export interface GraphSpec {
  opset?: number;
  nodes: NodeSpec[];
  inputs: { name: string; shape: (number | string)[]; elemType?: number }[];
  outputs: { name: string; shape?: (number | string)[] }[];
  initializers?: InitSpec[];
}

export function node(op: string, inputs: string[], outputs: string[], attrs?: Record<string, Attr>, name?: string): NodeSpec {
  return { op, inputs, outputs, attrs, name: name ?? `${op}_${outputs[0]}` };
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  if ('i' in a) return { name, type: AT.INT, i: a.i };
  if ('f' in a) return { name, type: AT.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: AT.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: AT.FLOATS, floats: a.floats };
  if ('s' in a) return { name, type: AT.STRING, s: new TextEncoder().encode(a.s) };
  return { name, type: AT.TENSOR, t: a.t };
}

function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >> 16) & 0x8000;
  const exp = ((u >> 23) & 0xff) - 127 + 15;
  const mant = (u >> 13) & 0x3ff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | mant;
}

/** Raw little-endian bytes of values in a dtype. */
export function rawBytes(data: ArrayLike<number>, dtype: InitDtype): Uint8Array {
  const n = data.length;
  const size = dtype === 'float32' ? 4 : dtype === 'float16' ? 2 : 8;
  const dv = new DataView(new ArrayBuffer(n * size));
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (dtype === 'float32') dv.setFloat32(4 * i, v, true);
    else if (dtype === 'float64') dv.setFloat64(8 * i, v, true);
    else if (dtype === 'float16') dv.setUint16(2 * i, toHalf(v), true);
    else dv.setBigInt64(8 * i, BigInt(v), true);
  }
  return new Uint8Array(dv.buffer);
}

const DT: Record<InitDtype, number> = { float32: 1, int64: 7, float16: 10, float64: 11 };

export function tensorProto(init: InitSpec): onnxProto.onnx.ITensorProto {
  const dtype = init.dtype ?? 'float32';
  const raw = rawBytes(init.data, dtype);
  if (init.external) {
    return {
      name: init.name,
      dims: init.shape,
      dataType: DT[dtype],
      dataLocation: P.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: init.external.location },
        { key: 'offset', value: String(init.external.offset ?? 0) },
        { key: 'length', value: String(raw.length) },
      ],
    };
  }
  return { name: init.name, dims: init.shape, dataType: DT[dtype], rawData: raw };
}

function valueInfo(name: string, shape: (number | string)[] | undefined, elemType = 1): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: shape ? { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  };
}

export function buildModel(g: GraphSpec): Uint8Array {
  const model = P.ModelProto.create({
    irVersion: 8,
    producerName: 'sharpness-test',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: g.opset ?? 17 }],
    graph: {
      name: 'g',
      node: g.nodes.map((n) => ({
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        name: n.name ?? '',
        domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).map(([k, a]) => attribute(k, a)),
      })),
      input: g.inputs.map((i) => valueInfo(i.name, i.shape, i.elemType)),
      output: g.outputs.map((o) => valueInfo(o.name, o.shape)),
      initializer: (g.initializers ?? []).map(tensorProto),
    },
  });
  return P.ModelProto.encode(model).finish();
}

/** Deterministic pseudo-random values in [lo, hi) (a small LCG; tests only). */
export function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

export function ints(name: string, v: number[]): InitSpec {
  return { name, shape: [v.length], data: v, dtype: 'int64' };
}

export function param(name: string, shape: number[], seed: number, lo = -1, hi = 1): InitSpec {
  return { name, shape, data: values(shape.reduce((a, b) => a * b, 1), seed, lo, hi) };
}
