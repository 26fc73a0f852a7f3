/**
 * A landscape as a pure function of (spec, index): `createLandscape` builds the frame
 * (axes, directions, the checkpoints' coordinates), deterministic from the checkpoints,
 * the options and the seed, and `evaluateItem(i)` measures item i wherever and whenever it
 * is called, so any subset of items can be computed by a shard, a resumed run or a worker
 * and give the same numbers.
 *
 * Points (trainable weights w; BatchNorm running statistics m follow the same coefficients
 * where checkpoints are combined):
 * - rays: w* + t u_r, u_r = direction(rng.fork(r)); item r * nx + j is ray r at t = x_j;
 * - random-plane: w* + a d1 + b d2, d1, d2 = direction(rng.fork(0)), direction(rng.fork(1))
 *   (not orthogonalised, as Li et al.: independent high-dimensional Gaussians are nearly
 *   orthogonal; their cosine is reported);
 * - line: (1 - alpha) wA + alpha wB, exactly wA at alpha = 0 and wB at alpha = 1;
 * - plane: w1 + x u + y v with u = (w2 - w1) / ||w2 - w1|| and v the unit Gram-Schmidt
 *   residual of w3 - w1 (Garipov et al. 2018, Izmailov et al. 2018), so x and y are Euclidean
 *   distances; computed as the affine combination (1 - beta - gamma) w1 + beta w2 + gamma w3
 *   with beta = x / |e1| - y c / (|e1| b), gamma = y / b (c = <w3 - w1, u>, b = <w3 - w1, v>),
 *   which also interpolates the running statistics. The checkpoints sit at (0, 0),
 *   (|e1|, 0) and (c, b).
 * A plane may carry more checkpoints than the three that span it (the SWA paper's
 * Figure 1: an average projected onto the plane of three FGE snapshots): each is placed at
 * its orthogonal projection (x, y) = (<w - w1, u>, <w - w1, v>), with `offPlane` its
 * Euclidean distance from the plane.
 * Items after the grid points are the checkpoints, evaluated at exactly their weights.
 */
import { tfl, type Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { createRng } from '../engine/rng.ts';
import { resolveBatchSize } from '../objective/objectiveDefaults.ts';
import type { Dataset } from '../io/dataset.ts';
import { InputError, NumericError, UsageError } from '../errors.ts';
import type { Loss } from '../objective/losses.ts';
import { orthogonalize, Rescale } from '../directions/orthogonalize.ts';
import { Norm } from '../directions/normalizeDirection.ts';
import { checkSameArchitecture } from './checkArchitectures.ts';
import { landscapeDirection, type LandscapeDirectionOptions } from './landscapeDirection.ts';
import { axisValues, LANDSCAPE_DEFAULTS, parseRange, type AxisRange, type LandscapeSpec } from './landscapeOptions.ts';
import { LandscapeKind, type FrameCheckpoint, type LandscapeFrame, type PointValues } from './landscapeTypes.ts';
import { pointCoordinates } from './assembleLandscape.ts';
import type { Network } from '../formats/Network.ts';
import { layersNetwork } from '../formats/layers/layersNetwork.ts';
import { createPointEvaluator, type EvaluatorMode, type PointEvaluator, type RecomputeBatchNorm } from './pointEvaluator.ts';

/** A loaded checkpoint as a landscape uses it. */
export type LandscapeCheckpoint = LandscapeCheckpointInfo & ({ network: Network; model?: tfl.LayersModel } | { model: tfl.LayersModel; network?: Network });

interface LandscapeCheckpointInfo {
  /** How figures name it (the sidecar's method, or the directory's name). */
  label: string;
  path: string;
  sha256: string;
}

export interface CreateLandscapeInput {
  spec: LandscapeSpec;
  /** In spec.checkpoints order. The models are not changed. */
  checkpoints: readonly LandscapeCheckpoint[];
  data: Dataset;
  evalData?: Dataset | null;
  /** The resolved loss (resolveLoss of spec.loss). */
  loss: Loss;
  /** Needed for `--bn recompute` on models with BatchNorm (training/recomputeBatchNorm.ts). */
  recomputeBatchNorm?: RecomputeBatchNorm;
}

export interface Landscape {
  readonly spec: LandscapeSpec;
  readonly frame: LandscapeFrame;
  readonly mode: EvaluatorMode;
  /** Full passes over a data set per item (for the cost). */
  readonly passesPerItem: number;
  /** The values of item i (0 <= i < frame.itemCount). */
  evaluateItem(i: number): Promise<PointValues>;
  /**
   * The trainable weights at any coordinates of the landscape (rays: `ray` and t = x;
   * line: alpha = x; planes: x, y), as the grid points are computed. The caller owns them.
   */
  trainableAt(at: { x: number; y?: number; ray?: number }): Tensor[];
  dispose(): void;
}

interface Weights {
  trainable: Tensor[];
  other: Tensor[];
}

interface At {
  x: number;
  y?: number;
  ray?: number;
}

interface PointWeights {
  trainable: ParamVector;
  other: ParamVector;
  /** Tensors to dispose after the evaluation. */
  owned: Tensor[][];
}

function expectedCheckpoints(kind: LandscapeKind): number {
  return kind === LandscapeKind.line ? 2 : kind === LandscapeKind.plane ? 3 : 1;
}

/** The most checkpoints a plane may carry: the three that span it and projected ones. */
export const MAX_PLANE_CHECKPOINTS = 8;

function combine(coeffs: number[], vs: ParamVector[]): Tensor[] {
  return vs[0]!.length === 0 ? [] : pv.linearCombination(coeffs, vs);
}

/** Builds the landscape of `input.spec` (see module comment). */
export async function createLandscape(input: CreateLandscapeInput): Promise<Landscape> {
  const { spec } = input;
  // each checkpoint's network; a layers model stays at hand for --bn recompute
  const cks = input.checkpoints.map((c) => ({ ...c, network: c.network ?? layersNetwork(c.model!) }));
  const planeOk = spec.kind === LandscapeKind.plane && cks.length >= 3 && cks.length <= MAX_PLANE_CHECKPOINTS;
  if (cks.length !== expectedCheckpoints(spec.kind) && !planeOk) {
    throw new UsageError(`landscape: a ${spec.kind} landscape needs ${expectedCheckpoints(spec.kind)} checkpoint(s), got ${cks.length}`);
  }
  if (cks.length > 1) checkSameArchitecture(cks, cks.map((c) => c.label));
  const range = parseRange(spec.kind, spec.range);
  const network = cks[0]!.network;
  const model = cks[0]!.model ?? network;
  const names = [...network.paramNames];
  const weights: Weights[] = cks.map((c) => c.network.weights());
  const held: Tensor[][] = weights.flatMap((w) => [w.trainable, w.other]);
  const disposeHeld = () => held.forEach((t) => pv.dispose(t));

  let evaluator: PointEvaluator | null = null;
  try {
    const w0 = weights[0]!;
    const frameCheckpoints = (coords: { x: number; y?: number; offPlane?: number }[]): FrameCheckpoint[] =>
      cks.map((c, k) => ({ label: c.label, path: c.path, sha256: c.sha256, ...coords[k]! }));
    const explicitAxis = (k: number): AxisRange => {
      if (range.auto) throw new UsageError(`landscape: --range auto is only for --plane`);
      return range.axes[k]!;
    };
    const dirOpts: LandscapeDirectionOptions = { norm: spec.norm ?? Norm.filter, ignore: spec.ignore ?? [], names };
    const rng = createRng(spec.seed);

    let frame: LandscapeFrame;
    let weightsAt: (at: At, withOther: boolean) => PointWeights;
    let releaseGeometry = (): void => undefined;

    switch (spec.kind) {
      case LandscapeKind.rays: {
        const xs = axisValues(explicitAxis(0));
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
        releaseGeometry = () => {
          if (cached) pv.dispose(cached.u);
          cached = null;
        };
        frame = {
          kind: spec.kind,
          axes: { x: { name: 't', values: xs } },
          pointCount: nRays * xs.length,
          itemCount: nRays * xs.length + 1,
          rays,
          checkpoints: frameCheckpoints([{ x: 0 }]),
          directions: { norm: dirOpts.norm, ignore: [...dirOpts.ignore], seed: spec.seed },
          bn: spec.bn,
          hasEval: !!input.evalData,
        };
        weightsAt = (at) => {
          const r = at.ray ?? 0;
          if (!Number.isInteger(r) || r < 0 || r >= nRays) throw new UsageError(`landscape: ray must be an integer in [0, ${nRays}), got ${String(at.ray)}`);
          const t = pv.axpy(at.x, ray(r), w0.trainable);
          return { trainable: t, other: w0.other, owned: [t] };
        };
        break;
      }
      case LandscapeKind.randomPlane: {
        const xs = axisValues(explicitAxis(0));
        const ys = axisValues(explicitAxis(1));
        const d1 = landscapeDirection(w0.trainable, rng.fork(0), dirOpts);
        const d2 = landscapeDirection(w0.trainable, rng.fork(1), dirOpts);
        held.push(d1, d2);
        const n1 = pv.norm(d1);
        const n2 = pv.norm(d2);
        frame = {
          kind: spec.kind,
          axes: { x: { name: 'alpha', values: xs }, y: { name: 'beta', values: ys } },
          pointCount: xs.length * ys.length,
          itemCount: xs.length * ys.length + 1,
          checkpoints: frameCheckpoints([{ x: 0, y: 0 }]),
          directions: {
            norm: dirOpts.norm,
            ignore: [...dirOpts.ignore],
            seed: spec.seed,
            norms: [n1, n2],
            cosine: n1 > 0 && n2 > 0 ? pv.dot(d1, d2) / (n1 * n2) : 0,
          },
          bn: spec.bn,
          hasEval: !!input.evalData,
        };
        weightsAt = (at) => {
          const t = combine([1, at.x, at.y ?? 0], [w0.trainable, d1, d2]);
          return { trainable: t, other: w0.other, owned: [t] };
        };
        break;
      }
      case LandscapeKind.line: {
        const xs = axisValues(explicitAxis(0));
        const [a, b] = weights as [Weights, Weights];
        const diff = pv.sub(b.trainable, a.trainable);
        const length = pv.norm(diff);
        pv.dispose(diff);
        frame = {
          kind: spec.kind,
          axes: { x: { name: 'alpha', values: xs } },
          pointCount: xs.length,
          itemCount: xs.length + 2,
          checkpoints: frameCheckpoints([{ x: 0 }, { x: 1 }]),
          line: { length },
          bn: spec.bn,
          hasEval: !!input.evalData,
        };
        weightsAt = (at, withOther) => {
          const alpha = at.x;
          const t = combine([1 - alpha, alpha], [a.trainable, b.trainable]);
          if (!withOther) return { trainable: t, other: a.other, owned: [t] };
          const o = combine([1 - alpha, alpha], [a.other, b.other]);
          return { trainable: t, other: o, owned: [t, o] };
        };
        break;
      }
      case LandscapeKind.plane: {
        const [w1, w2, w3] = weights as [Weights, Weights, Weights];
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
        const projected = weights.slice(3).map((w) => {
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
        frame = {
          kind: spec.kind,
          axes: { x: { name: 'x', values: xs }, y: { name: 'y', values: ys } },
          pointCount: xs.length * ys.length,
          itemCount: xs.length * ys.length + cks.length,
          checkpoints: frameCheckpoints(coords),
          plane: {
            origin: cks[0]!.label,
            u: `(${cks[1]!.label} - ${cks[0]!.label}) / ||${cks[1]!.label} - ${cks[0]!.label}||`,
            v: `${cks[2]!.label} - ${cks[0]!.label} orthogonalised against u, unit norm`,
          },
          bn: spec.bn,
          hasEval: !!input.evalData,
        };
        weightsAt = (at, withOther) => {
          const x = at.x;
          const y = at.y ?? 0;
          const gamma = y / h;
          const beta = x / len1 - (y * c) / (len1 * h);
          const coeffs = [1 - beta - gamma, beta, gamma];
          const t = combine(coeffs, [w1.trainable, w2.trainable, w3.trainable]);
          if (!withOther) return { trainable: t, other: w1.other, owned: [t] };
          const o = combine(coeffs, [w1.other, w2.other, w3.other]);
          return { trainable: t, other: o, owned: [t, o] };
        };
        break;
      }
    }

    evaluator = await createPointEvaluator(model, input.data, input.evalData ?? null, {
      loss: input.loss,
      bn: spec.bn,
      l2: spec.l2,
      batchSize: resolveBatchSize(spec.batchSize, model),
      nonTrainableVary: spec.kind === LandscapeKind.line || spec.kind === LandscapeKind.plane,
      ...(input.recomputeBatchNorm ? { recomputeBatchNorm: input.recomputeBatchNorm } : {}),
    });
    const ev = evaluator;
    const f = frame;
    let disposed = false;
    return {
      spec,
      frame: f,
      mode: ev.mode,
      passesPerItem: ev.passesPerPoint,
      async evaluateItem(i) {
        if (disposed) throw new Error('landscape: used after dispose()');
        if (!Number.isInteger(i) || i < 0 || i >= f.itemCount) {
          throw new UsageError(`landscape: item index must be an integer in [0, ${f.itemCount}), got ${i}`);
        }
        if (i >= f.pointCount) {
          const w = weights[i - f.pointCount]!;
          return ev.evaluate(w.trainable, w.other);
        }
        const p = weightsAt(pointCoordinates(f, i), ev.needsNonTrainable);
        try {
          return await ev.evaluate(p.trainable, p.other);
        } finally {
          for (const t of p.owned) pv.dispose(t);
        }
      },
      trainableAt(at) {
        if (disposed) throw new Error('landscape: used after dispose()');
        const p = weightsAt(at, false);
        for (const t of p.owned.slice(1)) pv.dispose(t);
        return p.trainable as Tensor[];
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        releaseGeometry();
        ev.dispose();
        disposeHeld();
      },
    };
  } catch (e) {
    evaluator?.dispose();
    disposeHeld();
    throw e;
  }
}
