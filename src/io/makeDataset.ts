/**
 * The in-memory data set every loader returns, and the one place its invariants are
 * checked and its hash computed.
 */
import { InputError } from '../errors.ts';
import { canonicalJson } from './canonicalJson.ts';
import { createSha256, updateHash } from './sha256.ts';

export type Targets =
  | { kind: 'classes'; labels: Int32Array; numClasses: number }
  | { kind: 'regression'; values: Float32Array; dim: number };

export interface Dataset {
  /** The canonical data spec, e.g. 'mnist:test:2000'. */
  spec: string;
  n: number;
  /** Shape of one sample, e.g. [28, 28, 1]. */
  sampleShape: number[];
  /** n * prod(sampleShape) values, sample-major; image pixels scaled to [0, 1]. */
  x: Float32Array;
  targets: Targets;
  /** See datasetSha256. */
  sha256: string;
}

/**
 * SHA-256 over a canonical JSON header ({n, sampleShape, targets kind and numClasses or
 * dim}), a newline, the bytes of x (float32 little-endian) and the bytes of the targets
 * (int32 labels or float32 values).
 */
export function datasetSha256(n: number, sampleShape: readonly number[], x: Float32Array, targets: Targets): string {
  const head =
    targets.kind === 'classes'
      ? { n, sampleShape, targets: { kind: 'classes', numClasses: targets.numClasses } }
      : { n, sampleShape, targets: { kind: 'regression', dim: targets.dim } };
  const h = createSha256();
  updateHash(h, canonicalJson(head));
  updateHash(h, '\n');
  updateHash(h, x);
  updateHash(h, targets.kind === 'classes' ? targets.labels : targets.values);
  return h.digest('hex');
}

/** Builds a Dataset, checking sizes, non-emptiness and label range, and hashing it. */
export function makeDataset(spec: string, sampleShape: number[], x: Float32Array, targets: Targets): Dataset {
  const per = sampleShape.reduce((a, b) => a * b, 1);
  if (per === 0 || x.length === 0) throw new InputError(`data: ${spec} is empty (no samples or zero-sized samples)`);
  if (x.length % per !== 0) {
    throw new InputError(`data: ${spec} has ${x.length} feature values, not a multiple of the sample size ${per}`);
  }
  const n = x.length / per;
  if (targets.kind === 'classes') {
    if (targets.labels.length !== n) throw new InputError(`data: ${spec} has ${n} samples but ${targets.labels.length} labels`);
    if (!Number.isInteger(targets.numClasses) || targets.numClasses < 1) {
      throw new InputError(`data: ${spec} has ${targets.numClasses} classes; expected at least 1`);
    }
    for (let i = 0; i < n; i++) {
      const l = targets.labels[i]!;
      if (l < 0 || l >= targets.numClasses) {
        throw new InputError(`data: ${spec} has label ${l} at sample ${i}, outside [0, ${targets.numClasses})`);
      }
    }
  } else if (targets.values.length !== n * targets.dim || targets.dim < 1) {
    throw new InputError(`data: ${spec} has ${n} samples but ${targets.values.length} target values (dim ${targets.dim})`);
  }
  return { spec, n, sampleShape: [...sampleShape], x, targets, sha256: datasetSha256(n, sampleShape, x, targets) };
}
