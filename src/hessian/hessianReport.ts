/**
 * What the `hessian` command computes, as one JSON-ready object: the eigenvalues always,
 * and the trace, the spectral density and the per-layer blocks when asked. All options
 * are checked before the first HVP, with messages that name the option and the value.
 *
 * The report is built from independent items (hessianItems.ts), computed here in order in
 * one process; the command computes the same items in shards, on worker threads or over
 * interruptions, and assembles the same report.
 */
import type { HvpOperator } from './HvpOperator.ts';
import { assembleHessianReport, hessianItem, hessianItemPlan } from './hessianItems.ts';
import { resolveHessianOptions, type HessianOptions } from './hessianOptions.ts';
import type { EigenResult, TraceResult } from './types.ts';

export { DEFAULT_MAX_ITER, HESSIAN_DEFAULTS, resolveHessianOptions, type HessianOptions, type ResolvedHessianOptions } from './hessianOptions.ts';

export type EigenJson = Omit<EigenResult, 'eigenvectors'> & { order: 'descending' | 'ascending' };
export type TraceJson = Omit<TraceResult, 'seed'>;

export interface DensityJson {
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
}

export interface LayerJson {
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
}

export interface HessianReport extends EigenJson {
  trace?: TraceJson;
  density?: DensityJson;
  perLayer?: LayerJson[];
  /** HVPs of everything above. */
  totalHvps: number;
}

/** Runs the measures the options ask for on `op` and gathers them in one JSON-ready object. */
export function hessianReport(op: HvpOperator, given: Partial<HessianOptions> = {}): HessianReport {
  const o = resolveHessianOptions(given, op.dimension);
  const records = hessianItemPlan(o, op.names).map((_, i) => hessianItem(op, o, i));
  return assembleHessianReport(o, records);
}
