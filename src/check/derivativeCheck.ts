/**
 * A user's evidence that gradients and Hessian-vector products are right for their own
 * architecture: along a few seeded random unit directions u of parameter space,
 *   - the directional derivative g.u against the central difference of the loss,
 *   - Hu against the central difference of the gradient, (g(w + h u) - g(w - h u)) / 2h,
 *   - symmetry, u.Hv against v.Hu.
 * Everything is computed in float32 by the engine and compared in float64. The bounds are
 * what float32 can resolve: a central difference has truncation error O(h^2) and rounding
 * error about (float32 epsilon * |value|) / h, so the loss check allows that rounding term
 * on top of the relative tolerance; ReLU and max-pool kinks inside [w - h u, w + h u]
 * make a difference less exact, which is why the step is small.
 */
import type { Objective } from '../objective/Objective.ts';
import * as pv from '../engine/paramVector.ts';
import type { Rng } from '../engine/rng.ts';
import { randomUnitDirection } from '../directions/randomDirection.ts';
import { UsageError } from '../errors.ts';

/** The defaults of the derivative check (`sharpness selftest CKPT`'s --directions and --step). */
export const DERIVATIVE_CHECK_DEFAULTS = { directions: 3, step: 1e-3 } as const;

export interface DerivativeCheckOptions {
  /** Random directions (default DERIVATIVE_CHECK_DEFAULTS.directions, at most 20). */
  directions?: number;
  /** Step h of the central differences along a unit direction (default DERIVATIVE_CHECK_DEFAULTS.step). */
  step?: number;
}

export interface DirectionCheck {
  /** g.u from the gradient, and the central difference of the loss. */
  gradient: { analytic: number; difference: number; error: number; bound: number };
  /** ||Hu - difference of gradients|| / ||Hu||. */
  hvp: { relativeError: number; normHu: number };
  /** |u.Hv - v.Hu| / max(|u.Hv|, |v.Hu|), v the next direction. */
  symmetry: number;
}

export interface DerivativeCheckResult {
  directions: DirectionCheck[];
  step: number;
  /** Relative tolerances expected in float32, stated so a reader can judge the numbers. */
  tolerances: { gradient: number; hvp: number; symmetry: number };
  gradientOk: boolean;
  hvpOk: boolean;
  symmetryOk: boolean;
  ok: boolean;
}

export const DERIVATIVE_TOLERANCES = { gradient: 1e-2, hvp: 2e-2, symmetry: 1e-3 } as const;
const FLOAT32_EPS = 2 ** -23;
export const MAX_CHECK_DIRECTIONS = 20;

export function checkDerivatives(o: Objective, rng: Rng, opts: DerivativeCheckOptions = {}): DerivativeCheckResult {
  const n = opts.directions ?? DERIVATIVE_CHECK_DEFAULTS.directions;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CHECK_DIRECTIONS) {
    throw new UsageError(`selftest: --directions must be an integer in 1..${MAX_CHECK_DIRECTIONS}, got ${n}`);
  }
  const h = opts.step ?? DERIVATIVE_CHECK_DEFAULTS.step;
  if (!(h > 0 && h < 1)) throw new UsageError(`selftest: --step must be in (0, 1), got ${h}`);
  const w = o.params;
  const dirs = Array.from({ length: n + 1 }, () => randomUnitDirection(o.shapes, rng));
  const { value: base, grad: g } = o.grad(w);
  const hvs = dirs.map((u) => o.hvp(w, u));
  const out: DirectionCheck[] = [];
  try {
    for (let k = 0; k < n; k++) {
      const u = dirs[k]!;
      const plus = pv.axpy(h, u, w);
      const minus = pv.axpy(-h, u, w);
      try {
        const gp = o.grad(plus);
        const gm = o.grad(minus);
        const analytic = pv.dot(g, u);
        const difference = (gp.value - gm.value) / (2 * h);
        const error = Math.abs(analytic - difference);
        const bound = DERIVATIVE_TOLERANCES.gradient * Math.max(Math.abs(analytic), Math.abs(difference)) + (8 * FLOAT32_EPS * Math.max(Math.abs(base), 1e-3)) / h;
        const gDiff = pv.sub(gp.grad, gm.grad);
        const fd = pv.scale(1 / (2 * h), gDiff);
        const resid = pv.sub(fd, hvs[k]!);
        const normHu = pv.norm(hvs[k]!);
        const relativeError = pv.norm(resid) / Math.max(normHu, Number.MIN_VALUE);
        pv.dispose(gp.grad, gm.grad, gDiff, fd, resid);
        const uHv = pv.dot(u, hvs[k + 1]!);
        const vHu = pv.dot(dirs[k + 1]!, hvs[k]!);
        const symmetry = Math.abs(uHv - vHu) / Math.max(Math.abs(uHv), Math.abs(vHu), Number.MIN_VALUE);
        out.push({ gradient: { analytic, difference, error, bound }, hvp: { relativeError, normHu }, symmetry });
      } finally {
        pv.dispose(plus, minus);
      }
    }
  } finally {
    pv.dispose(g, ...hvs, ...dirs);
  }
  const gradientOk = out.every((d) => d.gradient.error <= d.gradient.bound);
  const hvpOk = out.every((d) => d.hvp.relativeError <= DERIVATIVE_TOLERANCES.hvp);
  const symmetryOk = out.every((d) => d.symmetry <= DERIVATIVE_TOLERANCES.symmetry);
  return { directions: out, step: h, tolerances: { ...DERIVATIVE_TOLERANCES }, gradientOk, hvpOk, symmetryOk, ok: gradientOk && hvpOk && symmetryOk };
}

/** The check as lines for the terminal. */
export function formatDerivativeCheck(r: DerivativeCheckResult, where: string): string {
  const e = (x: number) => x.toExponential(2);
  const lines = [`derivative check of ${where} (central differences, step ${r.step}, float32):`];
  r.directions.forEach((d, k) => {
    lines.push(
      `  direction ${k + 1}: g.u ${d.gradient.analytic.toPrecision(6)} vs difference ${d.gradient.difference.toPrecision(6)} (error ${e(d.gradient.error)}, allowed ${e(d.gradient.bound)}); ` +
        `Hu relative error ${e(d.hvp.relativeError)} (allowed ${e(r.tolerances.hvp)}); symmetry ${e(d.symmetry)} (allowed ${e(r.tolerances.symmetry)})`,
    );
  });
  lines.push(
    r.ok
      ? '  ok: gradient and Hessian-vector products agree with finite differences and the Hessian is symmetric'
      : `  FAILED:${r.gradientOk ? '' : ' gradient'}${r.hvpOk ? '' : ' hvp'}${r.symmetryOk ? '' : ' symmetry'} (a ReLU or max-pool kink near the point can do this: rerun with another --seed or a smaller --step)`,
  );
  return lines.join('\n');
}
