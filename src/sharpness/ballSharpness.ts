import type { Objective } from '../objective/Objective.ts';
import { assembleBall, ballItem, ballPlan, createBallContext, type BallRecord } from './ballItems.ts';
import type { BallResult } from '../results/ballDocument.ts';
import type { BallOptions } from './validateBallOptions.ts';

export { BALL_DEFAULTS, parseRadii, validateBallOptions, type BallOptions, type ValidatedBallOptions } from './validateBallOptions.ts';

export type { BallPoint, BallResult } from '../results/ballDocument.ts';

/**
 * Max-loss sharpness (Keskar et al. 2017; SAM's inner maximisation, Foret et al. 2021):
 * for each radius r, max of L(w + e) over the set (see perturbationSet.ts), with w the
 * objective's params, found by projected gradient ascent:
 * - start 0 is SAM's first step: e0 = the set's steepest ascent at full radius from the
 *   gradient at w (a random start from restart stream 0 when that gradient is zero);
 * - starts 1..restarts are uniform random points of the set, start i drawn from
 *   rng(seed).fork(1).fork(i), so restarts can be sharded and every radius sees the same
 *   points scaled;
 * - each start runs `steps` normalised-gradient steps with step-size control (see
 *   ballItems.ts), keeping the best point; the centre (e = 0) is a candidate too. A step
 *   costs one loss evaluation, and one gradient when it is kept.
 * A maximiser found this way is a lower bound on the true maximum (exact for the l2 ball of a
 * convex quadratic; for box / linf sets, a vertex search). Trial points with a non-finite loss
 * are rejected.
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
