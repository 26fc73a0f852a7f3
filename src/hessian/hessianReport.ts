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
import type { HessianReport } from '../results/hessianDocument.ts';

export { DEFAULT_MAX_ITER, HESSIAN_DEFAULTS, resolveHessianOptions, type HessianOptions, type ResolvedHessianOptions } from './hessianOptions.ts';

export type { DensityJson, EigenJson, HessianReport, LayerJson, TraceJson } from '../results/hessianDocument.ts';

/** Runs the measures the options ask for on `op` and gathers them in one JSON-ready object. */
export function hessianReport(op: HvpOperator, given: Partial<HessianOptions> = {}): HessianReport {
  const o = resolveHessianOptions(given, op.dimension);
  const records = hessianItemPlan(o, op.names).map((_, i) => hessianItem(op, o, i));
  return assembleHessianReport(o, records);
}
