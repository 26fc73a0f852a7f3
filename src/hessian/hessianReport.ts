/**
 * What the `hessian` command computes, as one JSON-ready object: the eigenvalues always,
 * and the trace, the spectral density and the per-layer blocks when asked. All options
 * are checked before the first HVP, with messages that name the option and the value.
 */
import { UsageError } from '../errors.ts';
import type { HvpOperator } from './HvpOperator.ts';
import { eigenpairs } from './Hessian.ts';
import { TRACE_DEFAULTS, traceEstimate } from './hutchinson.ts';
import { SLQ_DEFAULTS, slq } from './slq.ts';
import { perLayer } from './perLayer.ts';
import { LANCZOS_DEFAULTS } from './lanczosEigenpairs.ts';
import { POWER_DEFAULTS } from './powerIteration.ts';
import { SOLVERS, Solver, TRACE_METHODS, TraceMethod, Which, isSolver, isTraceMethod, type EigenResult, type TraceResult } from './types.ts';
import { integerAtLeast, positiveNumber, seedOf, topKOf } from './validate.ts';

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
  seed: 0,
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

/**
 * Fills defaults and checks every option (dimension: the number of parameters, for
 * --top-k). Throws UsageError naming the option and the bad value.
 */
export function resolveHessianOptions(given: Partial<HessianOptions>, dimension?: number): HessianOptions & { maxIter: number } {
  const w = 'hessian';
  const o = { ...HESSIAN_DEFAULTS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as HessianOptions;
  if (!isSolver(o.solver)) throw new UsageError(`${w}: --solver must be one of ${SOLVERS.join(', ')}, got ${String(o.solver)}`);
  if (!isTraceMethod(o.traceMethod)) {
    throw new UsageError(`${w}: --trace-method must be one of ${TRACE_METHODS.join(', ')}, got ${String(o.traceMethod)}`);
  }
  if (dimension !== undefined) topKOf(w, o.topK, dimension);
  else integerAtLeast(w, 'top-k', o.topK, 1);
  positiveNumber(w, 'tol', o.tol);
  const maxIter = integerAtLeast(w, 'max-iter', o.maxIter ?? DEFAULT_MAX_ITER[o.solver], 1);
  if (o.solver === Solver.lanczos && maxIter < o.topK) {
    throw new UsageError(`${w}: --max-iter must be at least --top-k (${o.topK}) for the lanczos solver, got ${maxIter}`);
  }
  if (o.smallest && o.solver === Solver.power) {
    throw new UsageError(`${w}: --smallest needs --solver lanczos (power iteration finds the largest-magnitude eigenvalues)`);
  }
  seedOf(w, o.seed);
  integerAtLeast(w, 'probes', o.probes, o.traceMethod === TraceMethod.hutchPlusPlus ? 3 : 1);
  integerAtLeast(w, 'runs', o.runs, 1);
  integerAtLeast(w, 'steps', o.steps, 2);
  integerAtLeast(w, 'grid-points', o.gridPoints, 2);
  if (o.sigma !== undefined) positiveNumber(w, 'sigma', o.sigma);
  return { ...o, maxIter };
}

export type EigenJson = Omit<EigenResult, 'eigenvectors'> & { order: 'descending' | 'ascending' };
export type TraceJson = Omit<TraceResult, 'seed'>;

export interface HessianReport extends EigenJson {
  trace?: TraceJson;
  density?: {
    /** Ritz values of each run, ascending. */
    nodes: number[][];
    /** Their quadrature weights; each run's sum to 1. */
    weights: number[][];
    grid: number[];
    values: number[];
    sigma: number;
    runs: number;
    steps: number;
    hvps: number;
  };
  perLayer?: {
    layer: string;
    blocks: string[];
    dimension: number;
    eigenvalue: number;
    residual: number;
    converged: boolean;
    iterations: number;
    seed: number;
    trace: TraceJson;
    hvps: number;
  }[];
  /** HVPs of everything above. */
  totalHvps: number;
}

/** The trace without its seed, which the report records once at the top. */
function traceJson(t: TraceResult): TraceJson {
  return { method: t.method, estimate: t.estimate, stderr: t.stderr, samples: t.samples, hvps: t.hvps };
}

/** Runs the measures the options ask for on `op` and gathers them in one JSON-ready object. */
export function hessianReport(op: HvpOperator, given: Partial<HessianOptions> = {}): HessianReport {
  const o = resolveHessianOptions(given, op.dimension);
  const before = op.hvps;
  const eig = eigenpairs(op, {
    solver: o.solver,
    topK: o.topK,
    which: o.smallest ? Which.smallest : Which.largest,
    tol: o.tol,
    maxIter: o.maxIter,
    seed: o.seed,
  });
  const report: HessianReport = { ...eig, order: eig.which === Which.smallest ? 'ascending' : 'descending', totalHvps: 0 };
  if (o.trace) report.trace = traceJson(traceEstimate(op, o.traceMethod, { probes: o.probes, seed: o.seed }));
  if (o.density) {
    const d = slq(op, { runs: o.runs, steps: o.steps, seed: o.seed, sigma: o.sigma, gridPoints: o.gridPoints });
    report.density = {
      nodes: d.runs.map((r) => r.nodes),
      weights: d.runs.map((r) => r.weights),
      grid: d.grid,
      values: d.values,
      sigma: d.sigma,
      runs: d.runs.length,
      steps: d.steps,
      hvps: d.hvps,
    };
  }
  if (o.perLayer) {
    const p = perLayer(op, { solver: o.solver, tol: o.tol, maxIter: o.maxIter, seed: o.seed, traceMethod: o.traceMethod, probes: o.probes });
    report.perLayer = p.layers.map((l) => ({
      layer: l.layer,
      blocks: l.blocks,
      dimension: l.dimension,
      eigenvalue: l.eigen.eigenvalues[0]!,
      residual: l.eigen.residuals[0]!,
      converged: l.eigen.converged,
      iterations: l.eigen.iterations,
      seed: l.eigen.seed,
      trace: traceJson(l.trace),
      hvps: l.eigen.hvps + l.trace.hvps,
    }));
  }
  report.totalHvps = op.hvps - before;
  return report;
}
