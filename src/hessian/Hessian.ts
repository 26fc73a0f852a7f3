/**
 * The library facade: the Hessian of an objective at a point, with the measures of
 * PyHessian (eigenvalues, trace, spectral density) plus per-layer blocks. Every method
 * returns a result object with its estimates, residuals or standard errors, convergence,
 * iterations, HVPs spent and seed.
 *
 *   const h = Hessian.fromObjective(objective);
 *   h.eigenvalues({ topK: 3 });           // Lanczos
 *   h.trace({ probes: 100 });             // Hutchinson
 *   h.density({ runs: 3, steps: 80 });    // SLQ
 */
import type { ParamVector } from '../engine/paramVector.ts';
import type { Objective } from '../objective/Objective.ts';
import { UsageError } from '../errors.ts';
import { hvpOperator, type HvpOperator } from './HvpOperator.ts';
import { lanczosEigenpairs, type LanczosEigenOptions } from './lanczosEigenpairs.ts';
import { powerIteration } from './powerIteration.ts';
import { traceEstimate, TRACE_DEFAULTS, type TraceOptions } from './hutchinson.ts';
import { slq, type SlqDensityOptions } from './slq.ts';
import { perLayer, type PerLayerOptions } from './perLayer.ts';
import { Solver, isSolver, isTraceMethod, type DensityResult, type EigenResult, type PerLayerResult, type TraceMethod, type TraceResult } from './types.ts';

export interface EigenOptions extends LanczosEigenOptions {
  /** Default 'lanczos'. */
  solver?: Solver;
}

export interface HessianTraceOptions extends TraceOptions {
  /** Default 'hutchinson'. */
  method?: TraceMethod;
}

/** Top-k (or bottom-k) eigenpairs by the chosen solver. */
export function eigenpairs(op: HvpOperator, opts: EigenOptions = {}): EigenResult {
  const solver = opts.solver ?? Solver.lanczos;
  if (!isSolver(solver)) throw new UsageError(`hessian: --solver must be one of lanczos, power, got ${String(solver)}`);
  return solver === Solver.power ? powerIteration(op, opts) : lanczosEigenpairs(op, opts);
}

export class Hessian {
  readonly operator: HvpOperator;

  constructor(operator: HvpOperator) {
    this.operator = operator;
  }

  /** The Hessian of `objective` at `at` (default: the point it was built at). */
  static fromObjective(objective: Objective, at?: ParamVector): Hessian {
    return new Hessian(hvpOperator(objective, at));
  }

  get dimension(): number {
    return this.operator.dimension;
  }

  /** HVPs spent through this facade so far. */
  get hvps(): number {
    return this.operator.hvps;
  }

  eigenvalues(opts: EigenOptions = {}): EigenResult {
    return eigenpairs(this.operator, opts);
  }

  trace(opts: HessianTraceOptions = {}): TraceResult {
    const method = opts.method ?? TRACE_DEFAULTS.method;
    if (!isTraceMethod(method)) throw new UsageError(`hessian: --trace-method must be one of hutchinson, hutch++, got ${String(method)}`);
    return traceEstimate(this.operator, method, opts);
  }

  density(opts: SlqDensityOptions = {}): DensityResult {
    return slq(this.operator, opts);
  }

  perLayer(opts: PerLayerOptions = {}): PerLayerResult {
    return perLayer(this.operator, opts);
  }
}
