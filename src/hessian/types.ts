/**
 * Vocabularies and result types of the Hessian measures. Every result is a plain object
 * that records what it cost (HVPs), how far it got (iterations, converged) and its seed;
 * stochastic estimates carry their standard error.
 */
import type { Tensor } from '../engine/tf.ts';

/** Eigen-solvers. */
export const Solver = {
  /** Lanczos with full re-orthogonalisation (the default): fewest HVPs. */
  lanczos: 'lanczos',
  /** Power iteration with deflation, as PyHessian does it. */
  power: 'power',
} as const;
export type Solver = (typeof Solver)[keyof typeof Solver];
export const SOLVERS: readonly Solver[] = Object.values(Solver);
export function isSolver(x: unknown): x is Solver {
  return typeof x === 'string' && (SOLVERS as readonly string[]).includes(x);
}

/** Which end of the spectrum an eigen-solver looks for. */
export const Which = {
  /** The k largest (algebraically): sharp directions. Results descending. */
  largest: 'largest',
  /** The k smallest (most negative): saddle directions. Results ascending. */
  smallest: 'smallest',
} as const;
export type Which = (typeof Which)[keyof typeof Which];
export const WHICH: readonly Which[] = Object.values(Which);
export function isWhich(x: unknown): x is Which {
  return typeof x === 'string' && (WHICH as readonly string[]).includes(x);
}

/** Trace estimators. */
export const TraceMethod = {
  /** Hutchinson with Rademacher probes: one HVP per probe. */
  hutchinson: 'hutchinson',
  /** Hutch++ (Meyer et al. 2021): a third of the HVPs on a low-rank sketch, the rest on Hutchinson of the remainder. */
  hutchPlusPlus: 'hutch++',
} as const;
export type TraceMethod = (typeof TraceMethod)[keyof typeof TraceMethod];
export const TRACE_METHODS: readonly TraceMethod[] = Object.values(TraceMethod);
export function isTraceMethod(x: unknown): x is TraceMethod {
  return typeof x === 'string' && (TRACE_METHODS as readonly string[]).includes(x);
}

export interface EigenResult {
  solver: Solver;
  which: Which;
  /** 'largest': descending; 'smallest': ascending (most negative first). */
  eigenvalues: number[];
  /** ||H v - lambda v|| of each returned unit vector v, from an explicit HVP (power iteration: from its last step). */
  residuals: number[];
  /** The residuals the solver stopped on: Lanczos |beta_m s_m| (no HVP), power iteration the same as `residuals`. */
  ritzResiduals: number[];
  /**
   * Per eigenvalue, a bound on |lambda - true eigenvalue|: Lanczos min(residual, residual^2 /
   * gap) plus float32 rounding (see lanczosEigenpairs.ts); power iteration the residual plus
   * rounding.
   */
  errorBounds: number[];
  /** Lanczos: the estimated distance of each eigenvalue to the rest of the spectrum (null: unknown); power: null. */
  gaps: (number | null)[];
  /** Per eigenvalue: Lanczos errorBound <= tol |lambda|; power iteration PyHessian's relative-change test. */
  convergedEach: boolean[];
  /** Every eigenvalue converged (and, for Lanczos with verify, no eigenvalue was missed). */
  converged: boolean;
  /** Lanczos steps (all runs) or power-iteration steps (all eigenvalues). */
  iterations: number;
  /** HVPs spent, confirmations included. */
  hvps: number;
  seed: number;
  tol: number;
  maxIter: number;
  /** Lanczos only: runs started after the first (to find eigenvalues a single Krylov space cannot see). */
  restarts?: number;
  /** Lanczos only: a restart orthogonal to the eigenvectors found confirmed nothing was missed. */
  verified?: boolean;
  /** Unit eigenvectors (blocks laid out like the parameters), only when asked for; the caller disposes them. */
  eigenvectors?: Tensor[][];
}

export interface TraceResult {
  method: TraceMethod;
  estimate: number;
  /** Standard error of the estimate (Hutch++: of its Hutchinson part, given the sketch); null with one sample. */
  stderr: number | null;
  /** Hutchinson probes averaged (Hutch++: those of the remainder). */
  samples: number;
  hvps: number;
  seed: number;
}

/** One probe of Hutchinson's estimator: v' H v for the Rademacher vector of index `index`. */
export interface ProbeSample {
  index: number;
  value: number;
}

/** One stochastic Lanczos quadrature run: a quadrature rule for the spectral measure. */
export interface SlqRun {
  index: number;
  /** Ritz values, ascending. */
  nodes: number[];
  /** Squared first components of the Ritz vectors; they sum to 1. */
  weights: number[];
  /** Lanczos steps taken (fewer than asked when the Krylov space became invariant). */
  steps: number;
}

export interface DensityResult {
  runs: SlqRun[];
  grid: number[];
  /** Gaussian-smoothed density on the grid; integrates to 1 by the trapezoid rule. */
  values: number[];
  /** Standard deviation of the Gaussian kernel. */
  sigma: number;
  /** Lanczos steps asked for per run. */
  steps: number;
  hvps: number;
  seed: number;
}

export interface LayerResult {
  /** The layer's name (the parameter names' common prefix). */
  layer: string;
  /** The parameter blocks of the layer. */
  blocks: string[];
  dimension: number;
  /** Top eigenvalue of the layer's diagonal Hessian block. */
  eigen: EigenResult;
  /** Trace of the layer's diagonal Hessian block. */
  trace: TraceResult;
}

export interface PerLayerResult {
  layers: LayerResult[];
  hvps: number;
  seed: number;
}
