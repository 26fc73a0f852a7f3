/**
 * Per-channel means and sums of squared deviations in float64, merged across batches by
 * Chan et al.'s pairwise formula: what the BatchNorm recompute accumulates. A batch's own
 * moments (batchMoments) and their merge are separate steps, so a batch's moments can be
 * computed on a worker thread and merged here, in batch order, with the same result bit
 * for bit as adding the batch here (add is batchMoments then merge).
 */

/** One batch's per-channel mean, sum of squared deviations from it, and row count. */
export interface BatchMoments {
  mean: Float64Array;
  m2: Float64Array;
  rows: number;
}

/** The moments of a batch given as row-major [rows, channels] values. */
export function batchMoments(values: ArrayLike<number>, channels: number): BatchMoments {
  const c = channels;
  const rows = values.length / c;
  const bm = new Float64Array(c);
  const bm2 = new Float64Array(c);
  if (rows === 0) return { mean: bm, m2: bm2, rows };
  for (let r = 0, k = 0; r < rows; r++) for (let j = 0; j < c; j++, k++) bm[j] += values[k]!;
  for (let j = 0; j < c; j++) bm[j] = bm[j]! / rows;
  for (let r = 0, k = 0; r < rows; r++) {
    for (let j = 0; j < c; j++, k++) {
      const d = values[k]! - bm[j]!;
      bm2[j] += d * d;
    }
  }
  return { mean: bm, m2: bm2, rows };
}

/** Per-channel running mean and sum of squared deviations (Chan et al.'s merge). */
export class ChannelMoments {
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  count = 0;
  constructor(readonly channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  /** Adds a batch given as row-major [rows, channels] values: batchMoments, then merge. */
  add(values: ArrayLike<number>): void {
    const b = batchMoments(values, this.channels);
    this.merge(b.mean, b.m2, b.rows);
  }

  /** Adds a batch given by its per-channel means, sums of squared deviations and row count. */
  merge(bm: ArrayLike<number>, bm2: ArrayLike<number>, rows: number): void {
    if (rows === 0) return;
    const c = this.channels;
    const n = this.count;
    const total = n + rows;
    for (let j = 0; j < c; j++) {
      const delta = bm[j]! - this.mean[j]!;
      this.mean[j] = this.mean[j]! + (delta * rows) / total;
      this.m2[j] = this.m2[j]! + bm2[j]! + (delta * delta * n * rows) / total;
    }
    this.count = total;
  }

  variance(): Float64Array {
    return this.m2.map((v) => v / this.count);
  }
}
