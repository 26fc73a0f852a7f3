import type { Objective } from '../objective/Objective.ts';
import { assembleBall, ballItem, ballPlan, createBallContext, type BallRecord } from './ballItems.ts';
import type { BallNorm } from './perturbationSet.ts';
import type { BallOptions } from './validateBallOptions.ts';

export { BALL_DEFAULTS, parseRadii, validateBallOptions, type BallOptions, type ValidatedBallOptions } from './validateBallOptions.ts';

export interface BallPoint {
  radius: number;
  /** Largest loss found in the set (the centre included, so >= baseLoss). */
  maxLoss: number;
  /** maxLoss - baseLoss. */
  sharpness: number;
  /** Keskar et al.'s 100 (maxLoss - baseLoss) / (1 + baseLoss). */
  keskar: number;
  /** Mean loss over `samples` uniform random points of the set; null when samples = 0. */
  averageLoss: number | null;
  /** Its standard error; null when samples < 2. */
  averageStderr: number | null;
  samples: number;
  /** ||e||_2 of the best perturbation found. */
  perturbationNorm: number;
  /** The set's own norm of it (||e / t||_p, at most radius). */
  perturbationSetNorm: number;
  /** Ascent steps tried, over all starts. */
  iterations: number;
  /** Gradients evaluated at perturbed points for this radius (the shared one at w excluded). */
  gradients: number;
  /** Loss evaluations for this radius: one per ascent step tried, plus the samples. */
  lossEvaluations: number;
  /** Random restarts (besides the SAM start). */
  restarts: number;
  /** Which start found maxLoss: 0 the SAM start, i >= 1 random restart i, null the centre (nothing beat baseLoss). */
  bestRestart: number | null;
  /** The best loss of each start's ascent, in start order (null: no finite loss); the vertices a start enumerated are not in it. */
  startLosses: (number | null)[];
  /** max - min of startLosses (finite ones); null with fewer than two. */
  spread: number | null;
  /** The best start's loss minus the second best's; null with fewer than two. */
  runnerUpGap: number | null;
  /** Vertices of the set evaluated (box-shaped sets with at most 12 movable coordinates; else 0). */
  verticesEvaluated: number;
  /** Every vertex was evaluated: maxLoss is then the exact maximum for a convex loss (a convex function's maximum over a box is at a vertex). */
  allVertices: boolean;
  /**
   * allVertices, or the best two starts agree: runnerUpGap <= convergenceMargin * sharpness
   * (or <= 1e-6 (1 + |baseLoss|)). False means more restarts or steps may find a higher loss.
   */
  converged: boolean;
}

export interface BallResult {
  baseLoss: number;
  norm: BallNorm;
  adaptive: boolean;
  eta: number;
  steps: number;
  restarts: number;
  samples: number;
  /** The relative margin of BallPoint.converged. */
  convergenceMargin: number;
  points: BallPoint[];
  seed: number;
  /** Everything spent by this call, the base loss and gradient at w included. */
  cost: { lossEvaluations: number; gradients: number };
}

/**
 * Max-loss sharpness (Keskar et al. 2017; SAM's inner maximisation, Foret et al. 2021):
 * for each radius r, max of L(w + e) over the set (see perturbationSet.ts), with w the
 * objective's params, found by projected gradient ascent:
 * - start 0 is SAM's first step: e0 = the set's steepest ascent at full radius from the
 *   gradient at w (a random start from restart stream 0 when that gradient is zero);
 * - starts 1..restarts are uniform random points of the set (of box-shaped sets: random
 *   vertices, the signs of such points), start i drawn from rng(seed).fork(1).fork(i), so
 *   restarts can be sharded and every radius sees the same points scaled;
 * - on the l2 sets each start runs `steps` normalised-gradient steps with step-size control
 *   (see ballItems.ts); a step costs one loss evaluation, and one gradient when it is kept;
 * - on box-shaped sets (box, linf, adaptive linf) each start runs APGD (`steps` sign-gradient
 *   steps with momentum and step halving, one gradient each), then rounds to a vertex and
 *   flips coordinates while that raises the loss (see boxAscent.ts); with at most 12 movable
 *   coordinates the starts also evaluate all 2^d vertices between them (allVertices), which
 *   makes maxLoss exact for a convex loss;
 * - every start keeps its best point; the centre (e = 0) is a candidate too.
 * A maximiser found this way is a lower bound on the true maximum (exact for the l2 ball of a
 * convex quadratic). Each point reports the spread of the starts' losses and `converged`:
 * whether the best two agree within convergenceMargin of the sharpness (or every vertex was
 * evaluated). Trial points with a non-finite loss are rejected.
 *
 * The average-case value is the mean of L(w + e_j) over `samples` uniform random points of
 * the set (point j from rng(seed).fork(2).fork(j)), with its standard error. For a quadratic
 * at its minimum it is L0 + (1/2) tr(H Sigma), Sigma = E[e e']: r^2 / (d + 2) I for the l2 ball
 * in d dimensions, r^2 / 3 diag(t^2) for linf and box sets.
 *
 * Computed as the items of ballItems.ts, in order (the same numbers as any split of them).
 */
export function ballSharpness(objective: Objective, opts: BallOptions): BallResult {
  const plan = ballPlan(opts);
  const o = plan.options;
  const context = createBallContext(objective, o);
  try {
    const records: BallRecord[] = [];
    for (let i = 0; i < plan.itemCount; i++) {
      records.push(ballItem(objective, context, o, i));
      if (plan.endsRadius(i)) opts.onProgress?.(plan.item(i).radiusIndex + 1, o.radii.length);
    }
    return assembleBall(o, context.baseLoss, records);
  } finally {
    context.dispose();
  }
}
