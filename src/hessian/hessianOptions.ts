/**
 * The options of the Hessian report (what `sharpness hessian` computes), their defaults,
 * and the one check of them all, run before the first HVP with messages that name the
 * option and the value.
 */
import { UsageError } from '../errors.ts';
import { TRACE_DEFAULTS } from './hutchinson.ts';
import { SLQ_DEFAULTS } from './slq.ts';
import { LANCZOS_DEFAULTS } from './lanczosEigenpairs.ts';
import { POWER_DEFAULTS } from './powerIteration.ts';
import { SOLVERS, Solver, TRACE_METHODS, TraceMethod, isSolver, isTraceMethod } from './types.ts';
import { positiveNumber, seedOf, topKOf } from './validate.ts';
import { countOption } from '../limits.ts';
import { DEFAULT_SEED } from '../engine/rng.ts';

export interface HessianOptions {
  solver: Solver;
  /** --top-k */
  topK: number;
  /** --smallest: the k most negative eigenvalues (Lanczos only). */
  smallest: boolean;
  /** Lanczos: ||Hv - lambda v|| <= tol |lambda|; power: relative change of lambda < tol. */
  tol: number;
  /** Power: HVPs per eigenvalue (default 100); Lanczos: steps in all (default 200). */
  maxIter?: number;
  seed: number;
  /** --trace */
  trace: boolean;
  traceMethod: TraceMethod;
  /** HVPs for the trace (Hutchinson's probes). */
  probes: number;
  /** --density */
  density: boolean;
  runs: number;
  steps: number;
  /** Kernel standard deviation of the density (default: see slq.ts). */
  sigma?: number;
  gridPoints: number;
  /** --per-layer */
  perLayer: boolean;
}

export const HESSIAN_DEFAULTS: Readonly<HessianOptions> = {
  solver: Solver.lanczos,
  topK: 1,
  smallest: false,
  tol: LANCZOS_DEFAULTS.tol,
  seed: DEFAULT_SEED,
  trace: false,
  traceMethod: TRACE_DEFAULTS.method,
  probes: TRACE_DEFAULTS.probes,
  density: false,
  runs: SLQ_DEFAULTS.runs,
  steps: SLQ_DEFAULTS.steps,
  gridPoints: SLQ_DEFAULTS.gridPoints,
  perLayer: false,
};

/** The default --max-iter of each solver (power: per eigenvalue, as PyHessian; Lanczos: in all). */
export const DEFAULT_MAX_ITER: Readonly<Record<Solver, number>> = {
  power: POWER_DEFAULTS.maxIter,
  lanczos: LANCZOS_DEFAULTS.maxIter,
};

/** The options with every default filled in, --max-iter included. */
export type ResolvedHessianOptions = HessianOptions & { maxIter: number };

/**
 * Fills defaults and checks every option (dimension: the number of parameters, for
 * --top-k). Throws UsageError naming the option and the bad value.
 */
export function resolveHessianOptions(given: Partial<HessianOptions>, dimension?: number): ResolvedHessianOptions {
  const w = 'hessian';
  const o = { ...HESSIAN_DEFAULTS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as HessianOptions;
  if (!isSolver(o.solver)) throw new UsageError(`${w}: --solver must be one of ${SOLVERS.join(', ')}, got ${String(o.solver)}`);
  if (!isTraceMethod(o.traceMethod)) {
    throw new UsageError(`${w}: --trace-method must be one of ${TRACE_METHODS.join(', ')}, got ${String(o.traceMethod)}`);
  }
  countOption(w, 'top-k', o.topK, 1);
  if (dimension !== undefined) topKOf(w, o.topK, dimension);
  positiveNumber(w, 'tol', o.tol);
  const maxIter = countOption(w, 'max-iter', o.maxIter ?? DEFAULT_MAX_ITER[o.solver], 1);
  if (o.solver === Solver.lanczos && maxIter < o.topK) {
    throw new UsageError(`${w}: --max-iter must be at least --top-k (${o.topK}) for the lanczos solver, got ${maxIter}`);
  }
  if (o.smallest && o.solver === Solver.power) {
    throw new UsageError(`${w}: --smallest needs --solver lanczos (power iteration finds the largest-magnitude eigenvalues)`);
  }
  seedOf(w, o.seed);
  countOption(w, 'probes', o.probes, o.traceMethod === TraceMethod.hutchPlusPlus ? 3 : 1);
  countOption(w, 'runs', o.runs, 1);
  countOption(w, 'steps', o.steps, 2);
  countOption(w, 'grid-points', o.gridPoints, 2);
  if (o.sigma !== undefined) positiveNumber(w, 'sigma', o.sigma);
  return { ...o, maxIter };
}
