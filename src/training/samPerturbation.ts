/**
 * SAM's perturbation (Foret et al. 2021, eq. 2): the first-order solution of
 * max_{||e||_p <= rho} L(w + e),
 *
 *   e_hat = rho sign(g) |g|^(q-1) / (||g||_q^q)^(1/p),   1/p + 1/q = 1,
 *
 * so ||e_hat||_p = rho exactly. p = 2 gives rho g / ||g||_2; p = inf (q = 1) gives
 * rho sign(g); any p > 1 is accepted.
 *
 * Adaptive SAM (ASAM, Kwon et al. 2021) maximises over ||T_w^-1 e||_p <= rho with
 * T_w = |w| + eta elementwise. Substituting e = T_w e' turns it into the problem above in e'
 * with gradient T_w g, hence
 *
 *   e_hat = T_w * ehat_p(T_w g),
 *
 * which for p = 2 is rho T_w^2 g / ||T_w g||_2 (ASAM's formula) and for p = inf is
 * rho T_w sign(g). eta = 0 (the default) is T_w = |w|: a zero weight is never perturbed.
 *
 * Computed in float64 on flattened values. The expression is invariant to scaling g
 * (both numerator and denominator are of degree q - 1), so g is first divided by max |g|
 * to keep |g|^q from underflowing or overflowing for p near 1. A zero gradient gives a
 * zero perturbation (not NaN).
 */
import { NumericError, UsageError } from '../errors.ts';

export interface SamOptions {
  /** The radius (>= 0). */
  rho: number;
  /** The norm of the ball: a number > 1, or Infinity. */
  p: number;
  /** ASAM: scale by T_w = |w| + eta. */
  adaptive?: boolean;
  /** ASAM's eta (>= 0, default 0). */
  eta?: number;
}

/** Checks --rho and --p; returns p (Infinity for 'inf'). */
export function validateSamOptions(o: { rho: unknown; p: unknown; eta?: unknown }, where = 'train'): { rho: number; p: number; eta: number } {
  const rho = o.rho;
  if (typeof rho !== 'number' || !Number.isFinite(rho) || rho < 0) {
    throw new UsageError(`${where}: --rho must be a finite number >= 0, got ${String(rho)}`);
  }
  const p = parseP(o.p, where);
  const eta = o.eta ?? 0;
  if (typeof eta !== 'number' || !Number.isFinite(eta) || eta < 0) {
    throw new UsageError(`${where}: --asam-eta must be a finite number >= 0, got ${String(eta)}`);
  }
  return { rho, p, eta };
}

/** Parses --p: a number > 1, or 'inf' / 'infinity' / Infinity. */
export function parseP(p: unknown, where = 'train'): number {
  let v: number;
  if (typeof p === 'number') v = p;
  else if (typeof p === 'string' && /^(inf|infinity)$/i.test(p.trim())) v = Infinity;
  else if (typeof p === 'string' && p.trim() !== '' && Number.isFinite(Number(p))) v = Number(p);
  else throw new UsageError(`${where}: --p must be a number > 1 or inf, got ${String(p)}`);
  if (!(v > 1)) throw new UsageError(`${where}: --p must be a number > 1 or inf, got ${String(p)}`);
  return v;
}

/** The dual exponent q of p (1/p + 1/q = 1): 1 for p = inf. */
export function dualExponent(p: number): number {
  return p === Infinity ? 1 : p / (p - 1);
}

/** e_hat for gradient g (the plain, non-adaptive formula). */
function perturbationOf(g: ArrayLike<number>, rho: number, p: number): Float64Array {
  const n = g.length;
  const e = new Float64Array(n);
  if (rho === 0) return e;
  if (p === Infinity) {
    for (let i = 0; i < n; i++) e[i] = rho * Math.sign(g[i]!);
    return e;
  }
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(g[i]!));
  if (!Number.isFinite(m)) throw new NumericError('sam: the gradient has a non-finite entry; lower --lr');
  if (m === 0) return e;
  const q = dualExponent(p);
  if (p === 2) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (g[i]! / m) ** 2;
    const scale = rho / Math.sqrt(s);
    for (let i = 0; i < n; i++) e[i] = (g[i]! / m) * scale;
    return e;
  }
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(g[i]! / m) ** q;
  const denom = s ** (1 / p);
  for (let i = 0; i < n; i++) {
    const u = g[i]! / m;
    e[i] = (rho * Math.sign(u) * Math.abs(u) ** (q - 1)) / denom;
  }
  return e;
}

/**
 * SAM's e_hat for gradient g (and weights w when adaptive), both flattened in the same
 * order. Returns a new Float64Array; the inputs are not changed.
 */
export function samPerturbation(g: ArrayLike<number>, opts: SamOptions, w?: ArrayLike<number>): Float64Array {
  const { rho, p, eta } = validateSamOptions({ rho: opts.rho, p: opts.p, eta: opts.eta ?? 0 });
  if (!opts.adaptive) return perturbationOf(g, rho, p);
  if (!w || w.length !== g.length) {
    throw new UsageError(`train: adaptive SAM needs the weights (${g.length} values), got ${w ? w.length : 'none'}`);
  }
  const n = g.length;
  const tg = new Float64Array(n);
  for (let i = 0; i < n; i++) tg[i] = (Math.abs(w[i]!) + eta) * g[i]!;
  const e = perturbationOf(tg, rho, p);
  for (let i = 0; i < n; i++) e[i] = e[i]! * (Math.abs(w[i]!) + eta);
  return e;
}

/** ||x||_p (p = Infinity allowed), in float64. */
export function pNorm(x: ArrayLike<number>, p: number): number {
  let s = 0;
  if (p === Infinity) {
    for (let i = 0; i < x.length; i++) s = Math.max(s, Math.abs(x[i]!));
    return s;
  }
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]!) ** p;
  return s ** (1 / p);
}
