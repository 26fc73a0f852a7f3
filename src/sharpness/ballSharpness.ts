import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import { createRng, validateSeed, type Rng } from '../engine/rng.ts';
import { NumericError, UsageError } from '../errors.ts';
import type { Objective } from '../objective/Objective.ts';
import {
  ascentDirection,
  BALL_NORMS,
  BallNorm,
  baseNorm,
  createPerturbationSet,
  isBallNorm,
  projectBase,
  randomBasePoint,
  toPerturbation,
  toScaledGradient,
  type PerturbationSet,
} from './perturbationSet.ts';
import { meanAndStderr } from './summaries.ts';

export interface BallOptions {
  norm: BallNorm;
  /** Radii r of the sets, all measured in one call (each independently). */
  radii: readonly number[];
  /** Scale l2 / linf sets elementwise by |w_i| (+ eta). Not for box. Default false. */
  adaptive?: boolean;
  /** Added to |w_i| in the adaptive scale; default 0 (exactly scale-invariant). */
  eta?: number;
  /** Ascent steps per start, integer >= 0 (0: only the starting points are evaluated). Default 20. */
  steps?: number;
  /** Random restarts besides the SAM start, integer >= 0. Default 2. */
  restarts?: number;
  /** Random points of the set for the average-case value, integer >= 0 (0: none). Default 32. */
  samples?: number;
  /** Default 0. */
  seed?: number;
  /** Called after each radius. */
  onProgress?: (done: number, total: number) => void;
}

export const BALL_DEFAULTS = { steps: 20, restarts: 2, samples: 32, seed: 0, eta: 0 } as const;

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
}

export interface BallResult {
  baseLoss: number;
  norm: BallNorm;
  adaptive: boolean;
  eta: number;
  steps: number;
  restarts: number;
  samples: number;
  points: BallPoint[];
  seed: number;
  /** Everything spent by this call, the base loss and gradient at w included. */
  cost: { lossEvaluations: number; gradients: number };
}

// Step-size control, in units of the radius: start at half the radius, grow by 3/2 after a
// step that raised the loss (up to the set's diameter), halve after one that did not; a
// start ends after `steps` tries or when the step falls below MIN_STEP.
const INITIAL_STEP = 0.5;
const GROW = 1.5;
const MAX_STEP = 2;
const MIN_STEP = 1e-4;

function isNonNegativeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

/**
 * Parses `--radius`: numbers, or comma-separated strings ('0.01,0.05,0.1'). Each must be a
 * finite positive number; order is kept.
 */
export function parseRadii(value: number | string | readonly (number | string)[], where = 'ball'): number[] {
  const parts = (Array.isArray(value) ? value : [value]) as readonly (number | string)[];
  const out: number[] = [];
  for (const p of parts) {
    const pieces = typeof p === 'string' ? p.split(',').map((s) => s.trim()) : [p];
    for (const piece of pieces) {
      const x = typeof piece === 'number' ? piece : piece === '' ? NaN : Number(piece);
      if (!(x > 0) || !Number.isFinite(x)) throw new UsageError(`${where}: --radius must be positive numbers, got ${String(piece)}`);
      out.push(x);
    }
  }
  if (out.length === 0) throw new UsageError(`${where}: --radius must be positive numbers, got none`);
  return out;
}

interface Validated {
  norm: BallNorm;
  radii: number[];
  adaptive: boolean;
  eta: number;
  steps: number;
  restarts: number;
  samples: number;
  seed: number;
}

export function validateBallOptions(opts: BallOptions): Validated {
  if (!isBallNorm(opts.norm)) throw new UsageError(`ball: --norm must be one of ${BALL_NORMS.join(', ')}, got ${String(opts.norm)}`);
  const radii = parseRadii(opts.radii as readonly number[]);
  const adaptive = opts.adaptive ?? false;
  if (adaptive && opts.norm === BallNorm.box) {
    throw new UsageError('ball: --adaptive applies to --norm l2 and linf, not box (the box is already scaled by |w_i| + 1)');
  }
  const eta = opts.eta ?? BALL_DEFAULTS.eta;
  if (typeof eta !== 'number' || !Number.isFinite(eta) || eta < 0) throw new UsageError(`ball: --eta must be a finite number >= 0, got ${String(eta)}`);
  const ints = { steps: opts.steps ?? BALL_DEFAULTS.steps, restarts: opts.restarts ?? BALL_DEFAULTS.restarts, samples: opts.samples ?? BALL_DEFAULTS.samples };
  for (const [k, v] of Object.entries(ints)) {
    if (!isNonNegativeInteger(v)) throw new UsageError(`ball: --${k} must be an integer >= 0, got ${String(v)}`);
  }
  const seed = validateSeed(opts.seed ?? BALL_DEFAULTS.seed, 'ball');
  return { norm: opts.norm, radii, adaptive, eta, ...ints, seed };
}

interface Evaluated {
  value: number;
  grad: Tensor[];
}

interface Start {
  loss: number;
  z: Tensor[] | null;
}

/**
 * Projected gradient ascent in the set's scaled coordinates z (e = t z), from `z0` (owned,
 * consumed): normalised steepest-ascent steps of size `step * r`, projected back onto the
 * ball; a step is kept only when it raises the loss. Returns the best point seen.
 */
function ascend(
  evalAt: (z: ParamVector) => Evaluated,
  lossAt: (z: ParamVector) => number,
  set: PerturbationSet,
  r: number,
  z0: Tensor[],
  steps: number,
  counters: { iterations: number; gradients: number; lossEvaluations: number },
): Start {
  let z = projectBase(set.base, r, z0);
  pv.dispose(z0);
  let cur = evalAt(z);
  counters.gradients++;
  if (!Number.isFinite(cur.value)) {
    // A start where the loss is not finite is no candidate; nothing to ascend from.
    pv.dispose(z, cur.grad);
    return { loss: -Infinity, z: null };
  }
  let step = INITIAL_STEP;
  for (let k = 0; k < steps && step >= MIN_STEP; k++) {
    const gz = toScaledGradient(set, cur.grad);
    const dir = ascentDirection(set.base, gz);
    pv.dispose(gz);
    if (!dir) break; // stationary
    const moved = pv.axpy(step * r, dir, z);
    const trialZ = projectBase(set.base, r, moved);
    pv.dispose(dir, moved);
    // The trial is judged by its loss alone (a model's loss costs a fraction of its
    // gradient); the gradient is taken only where the step is kept.
    const value = lossAt(trialZ);
    counters.iterations++;
    counters.lossEvaluations++;
    if (Number.isFinite(value) && value > cur.value) {
      const next = evalAt(trialZ);
      counters.gradients++;
      pv.dispose(z, cur.grad);
      z = trialZ;
      cur = next;
      step = Math.min(MAX_STEP, step * GROW);
    } else {
      pv.dispose(trialZ);
      step /= 2;
    }
  }
  pv.dispose(cur.grad);
  return { loss: cur.value, z };
}

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
 *   INITIAL_STEP...), keeping the best point; the centre (e = 0) is a candidate too. A step
 *   costs one loss evaluation, and one gradient when it is kept.
 * A maximiser found this way is a lower bound on the true maximum (exact for the l2 ball of a
 * convex quadratic; for box / linf sets, a vertex search). Trial points with a non-finite loss
 * are rejected.
 *
 * The average-case value is the mean of L(w + e_j) over `samples` uniform random points of
 * the set (point j from rng(seed).fork(2).fork(j)), with its standard error. For a quadratic
 * at its minimum it is L0 + (1/2) tr(H Sigma), Sigma = E[e e']: r^2 / (d + 2) I for the l2 ball
 * in d dimensions, r^2 / 3 diag(t^2) for linf and box sets.
 */
export function ballSharpness(objective: Objective, opts: BallOptions): BallResult {
  const o = validateBallOptions(opts);
  const startCost = { ...objective.cost };
  const w = objective.params;
  const rng = createRng(o.seed);
  const restartRng = rng.fork(1);
  const sampleRng = rng.fork(2);
  const set = createPerturbationSet(o.norm, w, { adaptive: o.adaptive, eta: o.eta });
  const evalAt = (z: ParamVector): Evaluated => {
    const e = toPerturbation(set, z);
    const x = pv.add(w, e);
    try {
      return objective.grad(x);
    } finally {
      pv.dispose(e, x);
    }
  };
  const lossAt = (z: ParamVector): number => {
    const e = toPerturbation(set, z);
    const x = pv.add(w, e);
    try {
      return objective.loss(x);
    } finally {
      pv.dispose(e, x);
    }
  };
  const randomStart = (r: number, stream: Rng): Tensor[] => randomBasePoint(set.base, r, set.shapes, stream);

  try {
    const at0 = objective.grad(w);
    const baseLoss = at0.value;
    if (!Number.isFinite(baseLoss)) {
      pv.dispose(at0.grad);
      throw new NumericError(`ball: the loss at w is ${baseLoss}`);
    }
    const gz0 = toScaledGradient(set, at0.grad);
    pv.dispose(at0.grad);
    const samDir = ascentDirection(set.base, gz0);
    pv.dispose(gz0);

    const points: BallPoint[] = [];
    try {
      o.radii.forEach((r, k) => {
        const counters = { iterations: 0, gradients: 0, lossEvaluations: 0 };
        let best: Start = { loss: baseLoss, z: null };
        let bestRestart: number | null = null;
        for (let i = 0; i <= o.restarts; i++) {
          const z0 = i === 0 && samDir ? pv.scale(r, samDir) : randomStart(r, restartRng.fork(i));
          const s = ascend(evalAt, lossAt, set, r, z0, o.steps, counters);
          if (s.z && s.loss > best.loss) {
            pv.dispose(best.z ?? undefined);
            best = s;
            bestRestart = i;
          } else {
            pv.dispose(s.z ?? undefined);
          }
        }
        let perturbationNorm = 0;
        let perturbationSetNorm = 0;
        if (best.z) {
          const e = toPerturbation(set, best.z);
          perturbationNorm = pv.norm(e);
          perturbationSetNorm = baseNorm(set.base, best.z);
          pv.dispose(e, best.z);
        }

        const losses: number[] = [];
        for (let j = 0; j < o.samples; j++) {
          const z = randomStart(r, sampleRng.fork(j));
          const l = lossAt(z);
          pv.dispose(z);
          if (!Number.isFinite(l)) throw new NumericError(`ball: the loss at random point ${j} of the radius-${r} set is ${l}`);
          losses.push(l);
        }
        const avg = meanAndStderr(losses);
        const sharpness = best.loss - baseLoss;
        points.push({
          radius: r,
          maxLoss: best.loss,
          sharpness,
          keskar: (100 * sharpness) / (1 + baseLoss),
          averageLoss: o.samples > 0 ? avg.mean : null,
          averageStderr: avg.stderr,
          samples: o.samples,
          perturbationNorm,
          perturbationSetNorm,
          iterations: counters.iterations,
          gradients: counters.gradients,
          lossEvaluations: counters.lossEvaluations + o.samples,
          restarts: o.restarts,
          bestRestart,
        });
        opts.onProgress?.(k + 1, o.radii.length);
      });
    } finally {
      pv.dispose(samDir ?? undefined);
    }
    return {
      baseLoss,
      norm: o.norm,
      adaptive: o.adaptive,
      eta: o.eta,
      steps: o.steps,
      restarts: o.restarts,
      samples: o.samples,
      points,
      seed: o.seed,
      cost: {
        lossEvaluations: objective.cost.lossEvaluations - startCost.lossEvaluations,
        gradients: objective.cost.gradients - startCost.gradients,
      },
    };
  } finally {
    set.dispose();
  }
}
