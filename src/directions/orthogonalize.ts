import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { NumericError } from '../errors.ts';

/** What the orthogonalised vectors' lengths are. */
export const Rescale = {
  /** The residual as it comes out of Gram-Schmidt. */
  none: 'none',
  /** Unit Euclidean norm (an orthonormal set). */
  unit: 'unit',
  /** The norm of the matching input vector (keeps filter-normalised scales comparable). */
  original: 'original',
} as const;
export type Rescale = (typeof Rescale)[keyof typeof Rescale];

export interface OrthogonalizeOptions {
  rescale?: Rescale;
  /** A residual shorter than this fraction of its input's norm is an error (default 1e-6). */
  dependenceTolerance?: number;
}

/**
 * Gram-Schmidt: vector k minus its projections on the already orthogonalised vectors
 * 0..k-1. Coefficients are inner products accumulated in float64 (paramVector.dot), and
 * each vector is orthogonalised twice ("twice is enough", Giraud et al. 2005), so the
 * result is orthogonal to float32 precision. A vector (numerically) in the span of the
 * previous ones is a NumericError. New tensors owned by the caller; inputs unchanged.
 */
export function orthogonalize(directions: readonly ParamVector[], opts: OrthogonalizeOptions = {}): Tensor[][] {
  const rescale = opts.rescale ?? Rescale.none;
  if (!Object.values(Rescale).includes(rescale)) {
    throw new Error(`orthogonalize: rescale must be one of ${Object.values(Rescale).join(', ')}, got ${String(rescale)}`);
  }
  const tol = opts.dependenceTolerance ?? 1e-6;
  const out: Tensor[][] = [];
  try {
    directions.forEach((v, k) => {
      const n0 = pv.norm(v);
      if (!(n0 > 0) || !Number.isFinite(n0)) throw new NumericError(`orthogonalize: direction ${k} has norm ${n0}`);
      let r: Tensor[] = pv.clone(v);
      for (let pass = 0; pass < 2; pass++) {
        for (const q of out) {
          const c = pv.dot(q, r) / pv.dot(q, q);
          const next = pv.axpy(-c, q, r);
          pv.dispose(r);
          r = next;
        }
      }
      const n = pv.norm(r);
      if (!(n > tol * n0)) {
        pv.dispose(r);
        throw new NumericError(`orthogonalize: direction ${k} is linearly dependent on the previous ones (residual ${n} of ${n0})`);
      }
      if (rescale !== Rescale.none) {
        const s = pv.scale((rescale === Rescale.unit ? 1 : n0) / n, r);
        pv.dispose(r);
        r = s;
      }
      out.push(r);
    });
  } catch (e) {
    for (const o of out) pv.dispose(o);
    throw e;
  }
  return out;
}
