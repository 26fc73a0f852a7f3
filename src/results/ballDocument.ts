/**
 * `sharpness/ball@1`: max (and average) loss within an eps-ball or box around a solution,
 * per radius (sharpness/ballSharpness.ts computes it).
 */
import { resultDocumentSchema } from './resultHeader.ts';
import { array, boolean, float, integer, nullable, number, object, oneOf, written, type Infer } from './schema.ts';

export const BALL_TAG = 'sharpness/ball@1';

export const ballPointSchema = object({
  radius: number(),
  /** Largest loss found in the set (the centre included, so >= baseLoss). */
  maxLoss: float(),
  /** maxLoss - baseLoss. */
  sharpness: float(),
  /** Keskar et al.'s 100 (maxLoss - baseLoss) / (1 + baseLoss). */
  keskar: float(),
  /** Mean loss over `samples` uniform random points of the set; null when samples = 0. */
  averageLoss: nullable(float()),
  /** Its standard error; null when samples < 2. */
  averageStderr: nullable(float()),
  samples: integer(0),
  /** ||e||_2 of the best perturbation found. */
  perturbationNorm: written(float()),
  /** The set's own norm of it (||e / t||_p, at most radius). */
  perturbationSetNorm: written(float()),
  /** Ascent steps tried, over all starts. */
  iterations: written(integer(0)),
  /** Gradients evaluated at perturbed points for this radius (the shared one at w excluded). */
  gradients: written(integer(0)),
  /** Loss evaluations for this radius: one per ascent step tried, plus the samples. */
  lossEvaluations: written(integer(0)),
  /** Random restarts (besides the SAM start). */
  restarts: written(integer(0)),
  /** Which start found maxLoss: 0 the SAM start, i >= 1 random restart i, null the centre (nothing beat baseLoss). */
  bestRestart: written(nullable(integer(0))),
  /** The best loss of each start's ascent, in start order (null: no finite loss). */
  startLosses: written(array(nullable(float()))),
  /** max - min of startLosses (finite ones); null with fewer than two. */
  spread: written(nullable(float())),
  /** The best start's loss minus the second best's; null with fewer than two. */
  runnerUpGap: written(nullable(float())),
  /** Vertices of the set evaluated (box-shaped sets with at most 12 movable coordinates; else 0). */
  verticesEvaluated: written(integer(0)),
  /** Every vertex was evaluated: maxLoss is the exact maximum for a convex loss. */
  allVertices: written(boolean()),
  /** allVertices, or the best two starts agree within convergenceMargin of the sharpness. */
  converged: written(boolean()),
});
export type BallPoint = Infer<typeof ballPointSchema>;

export const ballResultSchema = object({
  baseLoss: float(),
  norm: oneOf(['l2', 'linf', 'box']),
  adaptive: boolean(),
  eta: number(),
  steps: integer(0),
  restarts: integer(0),
  samples: integer(0),
  /** The relative margin of BallPoint.converged. */
  convergenceMargin: written(number()),
  points: array(ballPointSchema),
  seed: written(number()),
  /** Everything spent by this call, the base loss and gradient at w included. */
  cost: written(object({ lossEvaluations: integer(0), gradients: integer(0) })),
});
export type BallResult = Infer<typeof ballResultSchema>;

export const ballDocumentSchema = resultDocumentSchema(BALL_TAG, 'ball', ballResultSchema);
