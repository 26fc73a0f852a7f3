import { validateSeed, DEFAULT_SEED } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';
import { countOption } from '../limits.ts';
import { BALL_NORMS, BallNorm, isBallNorm } from './perturbationSet.ts';

/** Options of `ball` (ballSharpness, and its items in ballItems.ts). */
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

export const BALL_DEFAULTS = { steps: 20, restarts: 2, samples: 32, seed: DEFAULT_SEED, eta: 0 } as const;

/** Options with every default filled in and every value checked. */
export interface ValidatedBallOptions {
  norm: BallNorm;
  radii: number[];
  adaptive: boolean;
  eta: number;
  steps: number;
  restarts: number;
  samples: number;
  seed: number;
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

/** Fills in the defaults and checks every option (idempotent: validated options pass unchanged). */
export function validateBallOptions(opts: BallOptions): ValidatedBallOptions {
  if (!isBallNorm(opts.norm)) throw new UsageError(`ball: --norm must be one of ${BALL_NORMS.join(', ')}, got ${String(opts.norm)}`);
  const radii = parseRadii(opts.radii as readonly number[]);
  const adaptive = opts.adaptive ?? false;
  if (typeof adaptive !== 'boolean') throw new UsageError(`ball: --adaptive must be true or false, got ${String(adaptive)}`);
  if (adaptive && opts.norm === BallNorm.box) {
    throw new UsageError('ball: --adaptive applies to --norm l2 and linf, not box (the box is already scaled by |w_i| + 1)');
  }
  const eta = opts.eta ?? BALL_DEFAULTS.eta;
  if (typeof eta !== 'number' || !Number.isFinite(eta) || eta < 0) throw new UsageError(`ball: --eta must be a finite number >= 0, got ${String(eta)}`);
  const ints = { steps: opts.steps ?? BALL_DEFAULTS.steps, restarts: opts.restarts ?? BALL_DEFAULTS.restarts, samples: opts.samples ?? BALL_DEFAULTS.samples };
  for (const [k, v] of Object.entries(ints)) countOption('ball', k as 'steps' | 'restarts' | 'samples', v, 0);
  const seed = validateSeed(opts.seed ?? BALL_DEFAULTS.seed, 'ball');
  return { norm: opts.norm, radii, adaptive, eta, ...ints, seed };
}
