/**
 * Small tensors kept in JavaScript: shapes, indices, axes and other constants of an ONNX
 * graph. Shape-only subgraphs (Shape -> Gather -> Unsqueeze -> Concat -> Reshape ...) are
 * evaluated on these, never on the engine, so they need no readback inside a gradient and
 * follow the batch size of each call.
 */
export type HostDtype = 'float32' | 'int64' | 'int32' | 'bool';

export class HostTensor {
  readonly dtype: HostDtype;
  readonly shape: number[];
  /** Row-major values (int64 as JS numbers: exact up to 2^53, enough for shapes and indices). */
  readonly data: ArrayLike<number>;
  constructor(dtype: HostDtype, shape: readonly number[], data: ArrayLike<number>) {
    this.dtype = dtype;
    this.shape = [...shape];
    this.data = data;
    if (this.data.length !== sizeOf(shape)) {
      throw new Error(`HostTensor: ${this.data.length} values for shape [${shape.join(',')}]`);
    }
  }
  get size(): number {
    return this.data.length;
  }
  get rank(): number {
    return this.shape.length;
  }
  static scalar(dtype: HostDtype, v: number): HostTensor {
    return new HostTensor(dtype, [], [v]);
  }
  static vector(dtype: HostDtype, v: readonly number[]): HostTensor {
    return new HostTensor(dtype, [v.length], v);
  }
}

export function isHost(x: unknown): x is HostTensor {
  return x instanceof HostTensor;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Numpy broadcasting of two shapes; throws on a mismatch. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The flat index into a tensor of `shape` for the output index `idx` of a broadcast to `outShape`. */
function broadcastIndexer(shape: readonly number[], outShape: readonly number[]): (flat: number) => number {
  const r = outShape.length;
  const st = stridesOf(shape);
  const outSt = stridesOf(outShape);
  const off = r - shape.length;
  return (flat) => {
    let src = 0;
    for (let i = 0; i < r; i++) {
      const c = Math.floor(flat / outSt[i]!) % outShape[i]!;
      if (i >= off && shape[i - off]! !== 1) src += c * st[i - off]!;
    }
    return src;
  };
}

/** Elementwise op over broadcast operands (several inputs, e.g. Where). */
export function hostMap(dtype: HostDtype, inputs: readonly HostTensor[], f: (...v: number[]) => number): HostTensor {
  const outShape = inputs.reduce<number[]>((s, t) => broadcastShapes(s, t.shape), []);
  const idx = inputs.map((t) => broadcastIndexer(t.shape, outShape));
  const n = sizeOf(outShape);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = f(...inputs.map((t, k) => t.data[idx[k]!(i)]!));
  return new HostTensor(dtype, outShape, out);
}

export function hostTranspose(t: HostTensor, perm: readonly number[]): HostTensor {
  const outShape = perm.map((p) => t.shape[p]!);
  const st = stridesOf(t.shape);
  const outSt = stridesOf(outShape);
  const n = t.size;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += (Math.floor(i / outSt[k]!) % outShape[k]!) * st[perm[k]!]!;
    out[i] = t.data[src]!;
  }
  return new HostTensor(t.dtype, outShape, out);
}

/** Gathers along `axis` with (already non-negative) indices of any shape. */
export function hostGather(t: HostTensor, indices: HostTensor, axis: number): HostTensor {
  const outer = sizeOf(t.shape.slice(0, axis));
  const inner = sizeOf(t.shape.slice(axis + 1));
  const dim = t.shape[axis]!;
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const ix of Array.from(indices.data)) {
      for (let j = 0; j < inner; j++) out.push(t.data[(o * dim + ix) * inner + j]!);
    }
  }
  return new HostTensor(t.dtype, [...t.shape.slice(0, axis), ...indices.shape, ...t.shape.slice(axis + 1)], out);
}

export function hostConcat(ts: readonly HostTensor[], axis: number): HostTensor {
  const first = ts[0]!;
  const outer = sizeOf(first.shape.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const chunk = sizeOf(t.shape.slice(axis));
      for (let j = 0; j < chunk; j++) out.push(t.data[o * chunk + j]!);
    }
  }
  const shape = [...first.shape];
  shape[axis] = ts.reduce((s, t) => s + t.shape[axis]!, 0);
  return new HostTensor(first.dtype, shape, out);
}

/** Strided slice: per axis a start, a count and a step (steps may be negative). */
export function hostSlice(t: HostTensor, starts: readonly number[], counts: readonly number[], steps: readonly number[]): HostTensor {
  const st = stridesOf(t.shape);
  const outSt = stridesOf(counts);
  const n = sizeOf(counts);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let k = 0; k < counts.length; k++) src += (starts[k]! + (Math.floor(i / outSt[k]!) % counts[k]!) * steps[k]!) * st[k]!;
    out[i] = t.data[src]!;
  }
  return new HostTensor(t.dtype, counts, out);
}

export function hostReshape(t: HostTensor, shape: readonly number[]): HostTensor {
  return new HostTensor(t.dtype, shape, t.data);
}
