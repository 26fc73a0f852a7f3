import { tf, type Tensor } from './tf.ts';
import { normalArray, rademacherArray, type Rng } from './rng.ts';

/**
 * A point or direction in parameter space: one tensor per trainable weight, in the
 * model's weight order. Every function returns new tensors that the caller owns and
 * never changes its arguments; scalar results come back as JS numbers.
 */
export type ParamVector = readonly Tensor[];

export function shapesOf(v: ParamVector): number[][] {
  return v.map((t) => t.shape.slice());
}

export function sizeOf(v: ParamVector | readonly (readonly number[])[]): number {
  let n = 0;
  for (const t of v) n += Array.isArray(t) ? t.reduce((a: number, b: number) => a * b, 1) : (t as Tensor).size;
  return n;
}

function sameLayout(a: ParamVector, b: ParamVector, op: string): void {
  if (a.length !== b.length || a.some((t, i) => !tf.util.arraysEqual(t.shape, b[i]!.shape))) {
    throw new Error(`paramVector.${op}: vectors have different layouts (${JSON.stringify(shapesOf(a))} vs ${JSON.stringify(shapesOf(b))})`);
  }
}

/** <a, b>, accumulated in float64 across blocks. */
export function dot(a: ParamVector, b: ParamVector): number {
  sameLayout(a, b, 'dot');
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = tf.tidy(() => tf.sum(tf.mul(a[i]!, b[i]!)));
    s += d.dataSync()[0]!;
    d.dispose();
  }
  return s;
}

export function norm(a: ParamVector): number {
  return Math.sqrt(dot(a, a));
}

/** alpha * x + y. */
export function axpy(alpha: number, x: ParamVector, y: ParamVector): Tensor[] {
  sameLayout(x, y, 'axpy');
  return tf.tidy(() => x.map((xi, i) => tf.add(tf.mul(xi, alpha), y[i]!)));
}

export function add(a: ParamVector, b: ParamVector): Tensor[] {
  sameLayout(a, b, 'add');
  return tf.tidy(() => a.map((ai, i) => tf.add(ai, b[i]!)));
}

export function sub(a: ParamVector, b: ParamVector): Tensor[] {
  sameLayout(a, b, 'sub');
  return tf.tidy(() => a.map((ai, i) => tf.sub(ai, b[i]!)));
}

export function scale(alpha: number, a: ParamVector): Tensor[] {
  return tf.tidy(() => a.map((ai) => tf.mul(ai, alpha)));
}

/** Sum of alpha_k v_k for equal-layout vectors (used for Ritz vectors and re-orthogonalisation). */
export function linearCombination(alphas: readonly number[], vs: readonly ParamVector[]): Tensor[] {
  if (vs.length === 0 || alphas.length !== vs.length) {
    throw new Error(`paramVector.linearCombination: need as many coefficients as vectors (>0), got ${alphas.length} and ${vs.length}`);
  }
  for (const v of vs) sameLayout(vs[0]!, v, 'linearCombination');
  return tf.tidy(() =>
    vs[0]!.map((_, i) => {
      let acc = tf.mul(vs[0]![i]!, alphas[0]!);
      for (let k = 1; k < vs.length; k++) acc = tf.add(acc, tf.mul(vs[k]![i]!, alphas[k]!));
      return acc;
    }),
  );
}

export function zerosLike(a: ParamVector): Tensor[] {
  return a.map((t) => tf.zerosLike(t));
}

export function clone(a: ParamVector): Tensor[] {
  return a.map((t) => t.clone());
}

export function dispose(...vs: (ParamVector | undefined)[]): void {
  for (const v of vs) if (v) for (const t of v) t.dispose();
}

/** All values in one Float32Array, blocks in order. */
export function flatten(a: ParamVector): Float32Array {
  return flattenInto(a, new Float32Array(sizeOf(a)));
}

/** Writes a's values, blocks in order, into `out` from `offset` (e.g. shared memory for worker threads); returns `out`. */
export function flattenInto<T extends Float32Array>(a: ParamVector, out: T, offset = 0): T {
  let off = offset;
  for (const t of a) {
    out.set(t.dataSync() as Float32Array, off);
    off += t.size;
  }
  return out;
}

/** Inverse of flatten; accepts float64 input (rounded to float32). */
export function unflatten(values: ArrayLike<number>, shapes: readonly (readonly number[])[]): Tensor[] {
  const total = sizeOf(shapes);
  if (values.length !== total) {
    throw new Error(`paramVector.unflatten: expected ${total} values for shapes ${JSON.stringify(shapes)}, got ${values.length}`);
  }
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  const out: Tensor[] = [];
  let off = 0;
  for (const s of shapes) {
    const n = s.reduce((a, b) => a * b, 1);
    out.push(tf.tensor(f32.slice(off, off + n), s as number[], 'float32'));
    off += n;
  }
  return out;
}

/** i.i.d. N(0, 1) entries drawn from rng in block order (backend-independent). */
export function randomNormal(shapes: readonly (readonly number[])[], rng: Rng): Tensor[] {
  return unflatten(normalArray(rng, sizeOf(shapes)), shapes);
}

/** i.i.d. +/-1 entries drawn from rng in block order. */
export function rademacher(shapes: readonly (readonly number[])[], rng: Rng): Tensor[] {
  return unflatten(rademacherArray(rng, sizeOf(shapes)), shapes);
}

/** True when every entry of every block is finite. */
export function allFinite(a: ParamVector): boolean {
  for (const t of a) {
    const d = t.dataSync();
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return false;
  }
  return true;
}
