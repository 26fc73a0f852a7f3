/**
 * SWA's running average (Izmailov et al. 2018, Algorithm 1):
 *
 *   w_swa <- (w_swa n + w) / (n + 1),   n <- n + 1
 *
 * kept in float64 over flattened weights, so after n updates it equals the exact mean of
 * the n averaged iterates up to float64 rounding (the float32 result is the mean rounded
 * once).
 */
import { UsageError } from '../errors.ts';

export class RunningAverage {
  private readonly values: Float64Array;
  private n: number;

  constructor(size: number, saved?: { values: Float64Array; count: number }) {
    if (!Number.isInteger(size) || size < 0) throw new UsageError(`train: the running average: size must be an integer >= 0, got ${size}`);
    if (saved) {
      if (saved.values.length !== size || !Number.isInteger(saved.count) || saved.count < 0) {
        throw new UsageError(`train: the running average: saved average has ${saved.values.length} values and count ${saved.count}, expected ${size} values`);
      }
      this.values = Float64Array.from(saved.values);
      this.n = saved.count;
    } else {
      this.values = new Float64Array(size);
      this.n = 0;
    }
  }

  /** Number of iterates averaged so far. */
  get count(): number {
    return this.n;
  }

  get size(): number {
    return this.values.length;
  }

  /** Adds one iterate (flattened, in the same order every time). */
  update(w: ArrayLike<number>): void {
    if (w.length !== this.values.length) {
      throw new UsageError(`train: the running average: an iterate has ${w.length} values, expected ${this.values.length}`);
    }
    const n = this.n;
    const v = this.values;
    for (let i = 0; i < v.length; i++) v[i] = (v[i]! * n + w[i]!) / (n + 1);
    this.n = n + 1;
  }

  /** A copy of the average (float64). */
  mean(): Float64Array {
    return Float64Array.from(this.values);
  }
}
