import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import { UsageError } from '../errors.ts';
import { landscapeDirection } from './landscapeDirection.ts';
import { explicitAxis, frameCheckpoints, type Geometry, type GeometryInput } from './landscapeGeometry.ts';
import { axisValues } from './landscapeOptions.ts';

/**
 * Rays w* + t u_r, u_r = direction(rng.fork(r)); item r * nx + j is ray r at t = x_j. Each
 * ray's direction is drawn again when needed (the last one is kept), so memory does not
 * grow with the number of rays.
 */
export function raysGeometry(input: GeometryInput): Geometry {
  const { spec, rng, directions: dirOpts } = input;
  const w0 = input.weights[0]!;
  const xs = axisValues(explicitAxis(input.range, 0));
  const nRays = spec.rays ?? 0;
  if (!Number.isInteger(nRays) || nRays < 1) throw new UsageError(`landscape: --rays must be an integer >= 1, got ${String(spec.rays)}`);
  const rays: { index: number; norm: number }[] = [];
  for (let r = 0; r < nRays; r++) {
    const u = landscapeDirection(w0.trainable, rng.fork(r), dirOpts);
    rays.push({ index: r, norm: pv.norm(u) });
    pv.dispose(u);
  }
  let cached: { r: number; u: Tensor[] } | null = null;
  const ray = (r: number): Tensor[] => {
    if (cached?.r !== r) {
      if (cached) pv.dispose(cached.u);
      cached = { r, u: landscapeDirection(w0.trainable, rng.fork(r), dirOpts) };
    }
    return cached.u;
  };
  return {
    frame: {
      kind: spec.kind,
      axes: { x: { name: 't', values: xs } },
      pointCount: nRays * xs.length,
      itemCount: nRays * xs.length + 1,
      rays,
      checkpoints: frameCheckpoints(input, [{ x: 0 }]),
      directions: { norm: dirOpts.norm, ignore: [...dirOpts.ignore], seed: spec.seed },
      bn: spec.bn,
      hasEval: input.hasEval,
    },
    weightsAt(at) {
      const r = at.ray ?? 0;
      if (!Number.isInteger(r) || r < 0 || r >= nRays) throw new UsageError(`landscape: ray must be an integer in [0, ${nRays}), got ${String(at.ray)}`);
      const t = pv.axpy(at.x, ray(r), w0.trainable);
      return { trainable: t, other: w0.other, owned: [t] };
    },
    release() {
      if (cached) pv.dispose(cached.u);
      cached = null;
    },
  };
}
