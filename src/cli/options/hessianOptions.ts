/** The options of `sharpness hessian`, once: defaults from the library's (hessian/hessianOptions.ts). */
import { SOLVERS, TRACE_METHODS } from '../../hessian/types.ts';
import { DEFAULT_MAX_ITER, HESSIAN_DEFAULTS } from '../../hessian/hessianOptions.ts';
import type { OptionTable } from './OptionTable.ts';

/** The widest node range whose density keeps PyHessian's kernel width with the default grid. */
const PYHESSIAN_SPAN = Number(((1e-5 * (HESSIAN_DEFAULTS.gridPoints - 1) ** 2) / 4).toPrecision(2));

export const HESSIAN_GROUP = 'Hessian:';

export const HESSIAN_OPTIONS = {
  checkpoint: { kind: 'string', describe: 'checkpoint directory', positional: true, demand: true },
  samples: { kind: 'number', describe: 'use the first N samples of --data (default: all)', check: { count: 'samples', min: 1 } },
  'top-k': { kind: 'number', describe: 'number of eigenvalues', default: HESSIAN_DEFAULTS.topK },
  solver: { kind: 'string', describe: 'lanczos (full reorthogonalisation) or power (PyHessian)', choices: SOLVERS, default: HESSIAN_DEFAULTS.solver },
  smallest: { kind: 'boolean', describe: 'the k most negative eigenvalues instead (saddles; lanczos)', default: HESSIAN_DEFAULTS.smallest },
  tol: {
    kind: 'number',
    describe: "lanczos: converged when each eigenvalue's error bound is <= tol |lambda| (float32 reaches about 3e-7); power: relative change",
    default: HESSIAN_DEFAULTS.tol,
  },
  'max-iter': {
    kind: 'number',
    describe: `power: HVPs per eigenvalue (${DEFAULT_MAX_ITER.power}); lanczos: steps in all (${DEFAULT_MAX_ITER.lanczos})`,
  },
  trace: { kind: 'boolean', describe: 'estimate the trace', default: HESSIAN_DEFAULTS.trace },
  'trace-method': { kind: 'string', describe: 'hutchinson (Rademacher probes) or hutch++', choices: TRACE_METHODS, default: HESSIAN_DEFAULTS.traceMethod },
  probes: { kind: 'number', describe: 'HVPs spent on the trace', default: HESSIAN_DEFAULTS.probes },
  density: { kind: 'boolean', describe: 'eigenvalue spectral density by stochastic Lanczos quadrature', default: HESSIAN_DEFAULTS.density },
  runs: { kind: 'number', describe: 'SLQ runs (random starts)', default: HESSIAN_DEFAULTS.runs },
  steps: { kind: 'number', describe: 'Lanczos steps per SLQ run', default: HESSIAN_DEFAULTS.steps },
  sigma: {
    kind: 'number',
    describe:
      "standard deviation of the density's Gaussian kernel (default: PyHessian's sqrt(1e-5 max(1, span)), span = node range + 0.02, " +
      `but at least 2 grid spacings, 2 span / (grid-points - 1): PyHessian's width while span <= 1e-5 (grid-points - 1)^2 / 4, ${PYHESSIAN_SPAN} with the default ${HESSIAN_DEFAULTS.gridPoints} points)`,
  },
  'grid-points': { kind: 'number', describe: 'points of the density grid', default: HESSIAN_DEFAULTS.gridPoints },
  'per-layer': { kind: 'boolean', describe: "top eigenvalue and trace of each layer's diagonal block", default: HESSIAN_DEFAULTS.perLayer },
} as const satisfies OptionTable;
