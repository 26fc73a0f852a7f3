import { tf, type Tensor } from '../engine/tf.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { UsageError } from '../errors.ts';
import { blockKind, BlockKind } from './blockGroups.ts';

/**
 * How a random direction is scaled to the weights it perturbs (Li et al. 2018, "Visualizing
 * the loss landscape of neural nets"):
 * - `none`: left as drawn;
 * - `layer`: each parameter block scaled to the Euclidean norm of the matching weight block;
 * - `filter`: each filter scaled to the norm of the matching filter of the weights.
 *
 * A "filter" is one output unit. The reference code (tomgoldstein/loss-landscape,
 * net_plotter.py, normalize_direction) loops over the first axis of PyTorch weights, which
 * is the output axis there ([out, in, kh, kw] and [out, in]). TensorFlow.js puts the output
 * axis last (conv kernels [kh, kw, in, out], dense kernels [in, out]; for depthwise kernels
 * [kh, kw, in, multiplier] the last axis is the multiplier), so here a filter is a slice along
 * the LAST axis: one column of the kernel reshaped to [-1, out]. The scale factor is
 * ||w_f|| / (||d_f|| + 1e-10), as in the reference.
 *
 * Blocks of rank <= 1 (biases, BatchNorm gamma/beta) follow normalize_directions_for_weights:
 * with `layer` or `filter` they are either ignored (set to zero: `--ignore bias,bn`, the
 * reference's ignore='biasbn') or, when not ignored, set to the weights themselves (the
 * reference's `d.copy_(w)`: "keep directions for weights/bias that are only 1 per node").
 * With `none` an ignored block is zeroed and any other block is left as drawn.
 */
export const Norm = {
  none: 'none',
  layer: 'layer',
  filter: 'filter',
} as const;
export type Norm = (typeof Norm)[keyof typeof Norm];
export const NORMS: readonly Norm[] = Object.values(Norm);
export function isNorm(x: unknown): x is Norm {
  return typeof x === 'string' && (NORMS as readonly string[]).includes(x);
}

/** Block kinds a direction can leave out (`--ignore bias,bn`). */
export const Ignore = {
  bias: 'bias',
  bn: 'bn',
} as const;
export type Ignore = (typeof Ignore)[keyof typeof Ignore];
export const IGNORES: readonly Ignore[] = Object.values(Ignore);
export function isIgnore(x: unknown): x is Ignore {
  return typeof x === 'string' && (IGNORES as readonly string[]).includes(x);
}

/**
 * Parses `--ignore`: a comma-separated list ('bias,bn'), an array of such strings, or
 * '' / 'none' for nothing. Duplicates are dropped; order is canonical (bias, bn).
 */
export function parseIgnore(value: string | readonly string[] | undefined, where = ''): Ignore[] {
  if (value === undefined) return [];
  const parts = (typeof value === 'string' ? [value] : value)
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'none');
  for (const p of parts) {
    if (!isIgnore(p)) throw new UsageError(`${where === '' ? '' : `${where}: `}--ignore must be a list of ${IGNORES.join(', ')} (or none), got ${p}`);
  }
  return IGNORES.filter((k) => parts.includes(k));
}

export function validateNorm(x: unknown, where = ''): Norm {
  if (!isNorm(x)) throw new UsageError(`${where === '' ? '' : `${where}: `}--norm must be one of ${NORMS.join(', ')}, got ${String(x)}`);
  return x;
}

export interface NormalizeOptions {
  norm: Norm;
  /** Block kinds to zero (default none). */
  ignore?: readonly Ignore[];
  /** Block names, to tell BatchNorm blocks from biases (default: every block of rank <= 1 is a bias). */
  names?: readonly string[];
}

/** Whether block i is zeroed by `ignore`. */
export function isIgnoredBlock(name: string, shape: readonly number[], ignore: readonly Ignore[]): boolean {
  const kind = blockKind(name, shape);
  return (kind === BlockKind.bias && ignore.includes(Ignore.bias)) || (kind === BlockKind.bn && ignore.includes(Ignore.bn));
}

/**
 * The direction scaled to `weights` as `opts.norm` says (see Norm). New tensors owned by the
 * caller; neither argument is changed.
 */
export function normalizeDirection(direction: ParamVector, weights: ParamVector, opts: NormalizeOptions): Tensor[] {
  const norm = validateNorm(opts.norm);
  const ignore = opts.ignore ?? [];
  if (direction.length !== weights.length || direction.some((d, i) => !tf.util.arraysEqual(d.shape, weights[i]!.shape))) {
    throw new Error('normalizeDirection: the direction and the weights have different layouts');
  }
  if (opts.names && opts.names.length !== weights.length) {
    throw new Error(`normalizeDirection: ${opts.names.length} names for ${weights.length} blocks`);
  }
  return direction.map((d, i) => {
    const w = weights[i]!;
    const name = opts.names?.[i] ?? '';
    if (isIgnoredBlock(name, w.shape, ignore)) return tf.zerosLike(d);
    if (norm === Norm.none) return d.clone();
    if (blockKind(name, w.shape) !== BlockKind.weight) return w.clone();
    return tf.tidy(() => {
      if (norm === Norm.layer) {
        return tf.mul(d, tf.div(tf.norm(w), tf.add(tf.norm(d), 1e-10)));
      }
      const out = w.shape[w.shape.length - 1]!;
      const d2 = tf.reshape(d, [-1, out]);
      const w2 = tf.reshape(w, [-1, out]);
      const ratio = tf.div(tf.norm(w2, 'euclidean', 0, true), tf.add(tf.norm(d2, 'euclidean', 0, true), 1e-10));
      return tf.reshape(tf.mul(d2, ratio), d.shape);
    });
  });
}
