import * as pv from '../engine/paramVector.ts';
import { landscapeDirection } from './landscapeDirection.ts';
import { combine, explicitAxis, frameCheckpoints, type Geometry, type GeometryInput } from './landscapeGeometry.ts';
import { axisValues } from './landscapeOptions.ts';

/**
 * The random plane w* + a d1 + b d2, d1, d2 = direction(rng.fork(0)), direction(rng.fork(1))
 * (not orthogonalised, as Li et al.: independent high-dimensional Gaussians are nearly
 * orthogonal; their cosine is reported).
 */
export function randomPlaneGeometry(input: GeometryInput): Geometry {
  const { spec, rng, directions: dirOpts } = input;
  const w0 = input.weights[0]!;
  const xs = axisValues(explicitAxis(input.range, 0));
  const ys = axisValues(explicitAxis(input.range, 1));
  const d1 = landscapeDirection(w0.trainable, rng.fork(0), dirOpts);
  const d2 = landscapeDirection(w0.trainable, rng.fork(1), dirOpts);
  const n1 = pv.norm(d1);
  const n2 = pv.norm(d2);
  return {
    frame: {
      kind: spec.kind,
      axes: { x: { name: 'alpha', values: xs }, y: { name: 'beta', values: ys } },
      pointCount: xs.length * ys.length,
      itemCount: xs.length * ys.length + 1,
      checkpoints: frameCheckpoints(input, [{ x: 0, y: 0 }]),
      directions: {
        norm: dirOpts.norm,
        ignore: [...dirOpts.ignore],
        seed: spec.seed,
        norms: [n1, n2],
        cosine: n1 > 0 && n2 > 0 ? pv.dot(d1, d2) / (n1 * n2) : 0,
      },
      bn: spec.bn,
      hasEval: input.hasEval,
    },
    weightsAt(at) {
      const t = combine([1, at.x, at.y ?? 0], [w0.trainable, d1, d2]);
      return { trainable: t, other: w0.other, owned: [t] };
    },
    release() {
      pv.dispose(d1, d2);
    },
  };
}
