/**
 * A landscape as a pure function of (spec, index): `createLandscape` builds the frame
 * (axes, directions, the checkpoints' coordinates), deterministic from the checkpoints,
 * the options and the seed, and `evaluateItem(i)` measures item i wherever and whenever it
 * is called, so any subset of items can be computed by a shard, a resumed run or a worker
 * and give the same numbers.
 *
 * Points (trainable weights w; BatchNorm running statistics m follow the same coefficients
 * where checkpoints are combined; each kind's geometry in its own file, raysGeometry.ts,
 * randomPlaneGeometry.ts, lineGeometry.ts, planeGeometry.ts):
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
import { createRng } from '../engine/rng.ts';
import { resolveBatchSize } from '../objective/objectiveDefaults.ts';
import type { Dataset } from '../io/dataset.ts';
import { UsageError } from '../errors.ts';
import type { Loss } from '../objective/losses.ts';
import { Norm } from '../directions/normalizeDirection.ts';
import { checkSameArchitecture } from './checkArchitectures.ts';
import { parseRange, type LandscapeSpec } from './landscapeOptions.ts';
import { LandscapeKind, type LandscapeFrame, type PointValues } from './landscapeTypes.ts';
import { pointCoordinates } from './assembleLandscape.ts';
import type { Network } from '../formats/Network.ts';
import { layersNetwork } from '../formats/layers/layersNetwork.ts';
import { createPointEvaluator, type EvaluatorMode, type PointEvaluator, type RecomputeBatchNorm } from './pointEvaluator.ts';
import type { Geometry, GeometryInput, Weights } from './landscapeGeometry.ts';
import { raysGeometry } from './raysGeometry.ts';
import { randomPlaneGeometry } from './randomPlaneGeometry.ts';
import { lineGeometry } from './lineGeometry.ts';
import { planeGeometry } from './planeGeometry.ts';

/** Each kind's geometry (its frame, and the weights at its coordinates). */
const GEOMETRIES: Readonly<Record<LandscapeKind, (input: GeometryInput) => Geometry>> = {
  [LandscapeKind.rays]: raysGeometry,
  [LandscapeKind.randomPlane]: randomPlaneGeometry,
  [LandscapeKind.line]: lineGeometry,
  [LandscapeKind.plane]: planeGeometry,
};

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

function expectedCheckpoints(kind: LandscapeKind): number {
  return kind === LandscapeKind.line ? 2 : kind === LandscapeKind.plane ? 3 : 1;
}

/** The most checkpoints a plane may carry: the three that span it and projected ones. */
export const MAX_PLANE_CHECKPOINTS = 8;

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
  const disposeHeld = () => weights.forEach((w) => pv.dispose(w.trainable, w.other));

  let geometry: Geometry | null = null;
  let evaluator: PointEvaluator | null = null;
  try {
    const geometryInput: GeometryInput = {
      spec,
      checkpoints: cks,
      weights,
      range,
      directions: { norm: spec.norm ?? Norm.filter, ignore: spec.ignore ?? [], names },
      rng: createRng(spec.seed),
      hasEval: !!input.evalData,
    };
    geometry = GEOMETRIES[spec.kind](geometryInput);
    const { frame, weightsAt } = geometry;

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
    const frameGeometry = geometry;
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
        frameGeometry.release();
        ev.dispose();
        disposeHeld();
      },
    };
  } catch (e) {
    evaluator?.dispose();
    geometry?.release();
    disposeHeld();
    throw e;
  }
}
