/**
 * A growing set of orthonormal flat vectors kept as the rows of a few [<= CHUNK, d]
 * tensors, so that projecting onto all of them or subtracting the projection is a
 * handful of matMuls (not m dot products with a sync apiece), and appending a vector
 * copies at most CHUNK rows (not the whole basis). Coefficients come back as JS numbers.
 */
import { tf } from '../engine/tf.ts';
import { NumericError } from '../errors.ts';

const CHUNK = 32;

/** <a, b> for flat vectors. */
export function dotFlat(a: tf.Tensor1D, b: tf.Tensor1D): number {
  const s = tf.tidy(() => tf.sum(tf.mul(a, b)));
  const v = s.dataSync()[0]!;
  s.dispose();
  return v;
}

export function normFlat(a: tf.Tensor1D): number {
  return Math.sqrt(dotFlat(a, a));
}

/** w / ||w|| (caller owns) and ||w||; NumericError when w is not finite. */
export function normalised(w: tf.Tensor1D, where: string): { vector: tf.Tensor1D; norm: number } {
  const n = normFlat(w);
  if (!Number.isFinite(n)) throw new NumericError(`${where}: a Hessian-vector product is not finite (NaN or Inf)`);
  const vector = tf.tidy(() => tf.div(w, n === 0 ? 1 : n) as tf.Tensor1D);
  return { vector, norm: n };
}

export class OrthonormalBasis {
  readonly dimension: number;
  private chunks: tf.Tensor2D[] = [];
  private count = 0;

  constructor(dimension: number) {
    this.dimension = dimension;
  }

  get size(): number {
    return this.count;
  }

  /** Q w: the coefficients of w on each row. */
  project(w: tf.Tensor1D): number[] {
    if (this.count === 0) return [];
    const c = tf.tidy(() => {
      const col = tf.reshape(w, [-1, 1]);
      const parts = this.chunks.map((q) => tf.reshape(tf.matMul(q, col), [-1]));
      return parts.length === 1 ? parts[0]! : tf.concat(parts);
    });
    const out = Array.from(c.dataSync());
    c.dispose();
    return out;
  }

  /** sum_i c_i row_i as a flat tensor (kept inside a tidy by the callers). */
  private span(c: readonly number[]): tf.Tensor1D {
    let off = 0;
    let acc: tf.Tensor | null = null;
    for (const q of this.chunks) {
      const rows = q.shape[0];
      const term = tf.matMul(tf.tensor2d(c.slice(off, off + rows), [1, rows]), q);
      acc = acc ? tf.add(acc, term) : term;
      off += rows;
    }
    return tf.reshape(acc!, [-1]) as tf.Tensor1D;
  }

  /**
   * w minus its projection on the rows, by classical Gram-Schmidt applied twice ("twice
   * is enough" in floating point). Returns the new vector and the summed coefficients.
   */
  orthogonalise(w: tf.Tensor1D): { vector: tf.Tensor1D; coefficients: number[] } {
    const total = new Array<number>(this.count).fill(0);
    let v = w.clone();
    if (this.count === 0) return { vector: v, coefficients: total };
    for (let pass = 0; pass < 2; pass++) {
      const c = this.project(v);
      c.forEach((x, i) => (total[i]! += x));
      const next = tf.tidy(() => tf.sub(v, this.span(c)) as tf.Tensor1D);
      v.dispose();
      v = next;
    }
    return { vector: v, coefficients: total };
  }

  /** Appends a unit vector orthogonal to the rows; the basis keeps a copy. */
  push(q: tf.Tensor1D): void {
    const last = this.chunks[this.chunks.length - 1];
    if (!last || last.shape[0] >= CHUNK) {
      this.chunks.push(tf.tidy(() => tf.reshape(q, [1, -1]) as tf.Tensor2D));
    } else {
      this.chunks[this.chunks.length - 1] = tf.tidy(() => tf.concat([last, tf.reshape(q, [1, -1])]) as tf.Tensor2D);
      last.dispose();
    }
    this.count++;
  }

  /** Row i as a flat vector (the caller owns it). */
  row(i: number): tf.Tensor1D {
    const chunk = this.chunks[Math.floor(i / CHUNK)]!;
    return tf.tidy(() => tf.reshape(tf.slice(chunk, [i % CHUNK, 0], [1, -1]), [-1]) as tf.Tensor1D);
  }

  /** sum_i c_i row_i: a flat vector the caller owns (Ritz vectors). */
  combine(c: readonly number[]): tf.Tensor1D {
    if (c.length !== this.count) throw new Error(`OrthonormalBasis.combine: ${c.length} coefficients for ${this.count} rows`);
    return tf.tidy(() => this.span(c));
  }

  dispose(): void {
    for (const q of this.chunks) q.dispose();
    this.chunks = [];
    this.count = 0;
  }
}
