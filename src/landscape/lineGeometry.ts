import * as pv from '../engine/paramVector.ts';
import { combine, explicitAxis, frameCheckpoints, type Geometry, type GeometryInput, type Weights } from './landscapeGeometry.ts';
import { axisValues } from './landscapeOptions.ts';

/**
 * The line (1 - alpha) wA + alpha wB, exactly wA at alpha = 0 and wB at alpha = 1 (the
 * running statistics interpolated with the same coefficients).
 */
export function lineGeometry(input: GeometryInput): Geometry {
  const { spec } = input;
  const xs = axisValues(explicitAxis(input.range, 0));
  const [a, b] = input.weights as [Weights, Weights];
  const diff = pv.sub(b.trainable, a.trainable);
  const length = pv.norm(diff);
  pv.dispose(diff);
  return {
    frame: {
      kind: spec.kind,
      axes: { x: { name: 'alpha', values: xs } },
      pointCount: xs.length,
      itemCount: xs.length + 2,
      checkpoints: frameCheckpoints(input, [{ x: 0 }, { x: 1 }]),
      line: { length },
      bn: spec.bn,
      hasEval: input.hasEval,
    },
    weightsAt(at, withOther) {
      const alpha = at.x;
      const t = combine([1 - alpha, alpha], [a.trainable, b.trainable]);
      if (!withOther) return { trainable: t, other: a.other, owned: [t] };
      const o = combine([1 - alpha, alpha], [a.other, b.other]);
      return { trainable: t, other: o, owned: [t, o] };
    },
    release() {},
  };
}
