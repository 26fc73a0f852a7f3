/**
 * `sharpness/hessian@1`: the top (or most negative) Hessian eigenvalues, and the trace, the
 * spectral density and the per-layer blocks when asked (hessian/hessianReport.ts computes it).
 */
import { resultDocumentSchema } from './resultHeader.ts';
import { array, boolean, extend, float, integer, nullable, number, object, oneOf, string, written, type Infer } from './schema.ts';

export const HESSIAN_TAG = 'sharpness/hessian@1';

export const eigenJsonSchema = object(
  {
    /** closed-form: a golden's exact eigenvalues. */
    solver: oneOf(['lanczos', 'power', 'closed-form']),
    which: oneOf(['largest', 'smallest']),
    order: oneOf(['descending', 'ascending']),
    eigenvalues: array(float()),
    residuals: array(float()),
    ritzResiduals: written(array(float())),
    convergedEach: written(array(boolean())),
    /** A bound on each eigenvalue's error: min(residual, residual^2 / gap) plus float32 rounding. */
    errorBounds: written(array(float())),
    /** The estimated gap to the nearest other eigenvalue (null where unknown). */
    gaps: written(array(nullable(float()))),
    converged: boolean(),
    iterations: written(integer(0)),
    hvps: written(integer(0)),
    seed: written(number()),
    tol: written(number()),
    maxIter: written(integer(0)),
  },
  { restarts: integer(0), verified: boolean() },
);
export type EigenJson = Infer<typeof eigenJsonSchema>;

export const traceJsonSchema = object({
  /** exact: a golden's closed-form trace. */
  method: oneOf(['hutchinson', 'hutch++', 'exact']),
  estimate: float(),
  stderr: nullable(float()),
  samples: integer(0),
  hvps: integer(0),
});
export type TraceJson = Infer<typeof traceJsonSchema>;

export const densityJsonSchema = object({
  /** Ritz values of each run, ascending. */
  nodes: array(array(float())),
  /** Their quadrature weights; each run's sum to 1. */
  weights: array(array(float())),
  grid: array(float()),
  values: array(float()),
  sigma: float(),
  runs: integer(0),
  steps: integer(0),
  hvps: integer(0),
});
export type DensityJson = Infer<typeof densityJsonSchema>;

export const layerJsonSchema = object({
  layer: string(),
  blocks: array(string()),
  dimension: integer(0),
  eigenvalue: float(),
  residual: float(),
  converged: boolean(),
  iterations: integer(0),
  seed: number(),
  trace: traceJsonSchema,
  hvps: integer(0),
});
export type LayerJson = Infer<typeof layerJsonSchema>;

export const hessianReportSchema = extend(
  eigenJsonSchema,
  {
    /** HVPs of everything. */
    totalHvps: integer(0),
  },
  { trace: traceJsonSchema, density: densityJsonSchema, perLayer: array(layerJsonSchema) },
);
export type HessianReport = Infer<typeof hessianReportSchema>;

export const hessianDocumentSchema = resultDocumentSchema(HESSIAN_TAG, 'hessian', hessianReportSchema);
