import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import { InputError, NumericError } from '../errors.ts';
import { orthogonalize, Rescale } from '../directions/orthogonalize.ts';
import { combine, frameCheckpoints, type Geometry, type GeometryInput, type Weights } from './landscapeGeometry.ts';
import { axisValues, LANDSCAPE_DEFAULTS, type AxisRange } from './landscapeOptions.ts';

/**
 * The plane w1 + x u + y v with u = (w2 - w1) / ||w2 - w1|| and v the unit Gram-Schmidt
 * residual of w3 - w1 (Garipov et al. 2018, Izmailov et al. 2018), so x and y are Euclidean
 * distances; computed as the affine combination (1 - beta - gamma) w1 + beta w2 + gamma w3
 * with beta = x / |e1| - y c / (|e1| b), gamma = y / b (c = <w3 - w1, u>, b = <w3 - w1, v>),
 * which also interpolates the running statistics. The checkpoints sit at (0, 0), (|e1|, 0)
 * and (c, b); checkpoints after the third at their orthogonal projection
 * (x, y) = (<w - w1, u>, <w - w1, v>), with `offPlane` their Euclidean distance from it.
 */
export function planeGeometry(input: GeometryInput): Geometry {
  const { spec, range } = input;
  const cks = input.checkpoints;
  const [w1, w2, w3] = input.weights as [Weights, Weights, Weights];
  const e1 = pv.sub(w2.trainable, w1.trainable);
  const e2 = pv.sub(w3.trainable, w1.trainable);
  let basis: Tensor[][];
  try {
    basis = orthogonalize([e1, e2], { rescale: Rescale.unit });
  } catch (e) {
    pv.dispose(e1, e2);
    if (!(e instanceof NumericError)) throw e;
    const same = /direction 0/.test(e.message);
    throw new InputError(
      same
        ? `landscape: ${cks[1]!.label} and ${cks[0]!.label} have the same trainable weights; a plane needs three distinct checkpoints`
        : `landscape: ${cks[0]!.label}, ${cks[1]!.label} and ${cks[2]!.label} lie on one line; no plane passes through them`,
      { cause: e },
    );
  }
  const [u, v] = basis as [Tensor[], Tensor[]];
  const len1 = pv.norm(e1);
  const c = pv.dot(e2, u);
  const h = pv.dot(e2, v);
  // Checkpoints after the third are projected orthogonally onto the plane: (x, y) of
  // the nearest point of the plane, and their distance from it.
  const projected = input.weights.slice(3).map((w) => {
    const d = pv.sub(w.trainable, w1.trainable);
    const x = pv.dot(d, u);
    const y = pv.dot(d, v);
    const dd = pv.dot(d, d);
    pv.dispose(d);
    return { x, y, offPlane: Math.sqrt(Math.max(0, dd - x * x - y * y)) };
  });
  pv.dispose(e1, e2, u, v);
  const spanning = [{ x: 0, y: 0 }, { x: len1, y: 0 }, { x: c, y: h }];
  const coords = [...spanning, ...projected];
  let xr: AxisRange;
  let yr: AxisRange;
  if (range.auto) {
    const xsC = coords.map((p) => p.x);
    const ysC = coords.map((p) => p.y);
    // the projected points lie inside the box too
    const [x0, x1, y0, y1] = [Math.min(...xsC), Math.max(...xsC), Math.min(...ysC), Math.max(...ysC)];
    const m = LANDSCAPE_DEFAULTS.autoMargin * Math.max(x1 - x0, y1 - y0);
    xr = { from: x0 - m, to: x1 + m, n: range.n };
    yr = { from: y0 - m, to: y1 + m, n: range.n };
  } else {
    xr = range.axes[0]!;
    yr = range.axes[1]!;
  }
  const xs = axisValues(xr);
  const ys = axisValues(yr);
  return {
    frame: {
      kind: spec.kind,
      axes: { x: { name: 'x', values: xs }, y: { name: 'y', values: ys } },
      pointCount: xs.length * ys.length,
      itemCount: xs.length * ys.length + cks.length,
      checkpoints: frameCheckpoints(input, coords),
      plane: {
        origin: cks[0]!.label,
        u: `(${cks[1]!.label} - ${cks[0]!.label}) / ||${cks[1]!.label} - ${cks[0]!.label}||`,
        v: `${cks[2]!.label} - ${cks[0]!.label} orthogonalised against u, unit norm`,
      },
      bn: spec.bn,
      hasEval: input.hasEval,
    },
    weightsAt(at, withOther) {
      const x = at.x;
      const y = at.y ?? 0;
      const gamma = y / h;
      const beta = x / len1 - (y * c) / (len1 * h);
      const coeffs = [1 - beta - gamma, beta, gamma];
      const t = combine(coeffs, [w1.trainable, w2.trainable, w3.trainable]);
      if (!withOther) return { trainable: t, other: w1.other, owned: [t] };
      const o = combine(coeffs, [w1.other, w2.other, w3.other]);
      return { trainable: t, other: o, owned: [t, o] };
    },
    release() {},
  };
}
