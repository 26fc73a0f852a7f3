/**
 * The options of `sharpness compare`, once. The Compare: group sets the measures' budgets for
 * a side-by-side run (smaller than each measure's own defaults); every other option of a
 * step is the measure's own default (see compareSteps in commands/compare.ts).
 */
import type { OptionTable } from './OptionTable.ts';

/** Compare's fixed choices, not options: one random restart per ball, a 15-point plane around the three solutions. */
export const COMPARE_BALL_RESTARTS = 1;
export const COMPARE_PLANE_RANGE = 'auto:15';

export const COMPARE_GROUP = 'Compare:';

export const COMPARE_OPTIONS = {
  checkpoints: { kind: 'string', describe: 'checkpoint directories', positional: true, array: true, demand: true },
  'eval-data': { kind: 'string', describe: 'held-out data for test loss / error (default: --data)' },
  labels: { kind: 'string', describe: 'names of the solutions, comma-separated, in order' },
  title: { kind: 'string', describe: 'report title' },
  workers: { kind: 'raw', describe: 'worker threads for each measure (default: SHARPNESS_WORKERS, else the number of cores)' },
  'top-k': { kind: 'number', describe: 'Hessian eigenvalues per solution', default: 3, group: COMPARE_GROUP },
  probes: { kind: 'number', describe: 'Hutchinson probes for the trace', default: 30, group: COMPARE_GROUP },
  'density-runs': { kind: 'number', describe: 'SLQ runs for the spectral density', default: 1, group: COMPARE_GROUP },
  'density-steps': { kind: 'number', describe: 'Lanczos steps per SLQ run', default: 40, group: COMPARE_GROUP },
  'l2-radii': { kind: 'string', describe: 'radii of the l2 (and adaptive l2) balls', default: '0.05,0.1,0.2', group: COMPARE_GROUP },
  'box-radii': { kind: 'string', describe: "radii of Keskar's box", default: '1e-4,5e-4,1e-3', group: COMPARE_GROUP },
  'ball-steps': { kind: 'number', describe: 'ascent steps per start', default: 10, group: COMPARE_GROUP },
  'ball-samples': { kind: 'number', describe: 'random points for the average-case value', default: 16, group: COMPARE_GROUP },
  'volume-delta': { kind: 'number', describe: 'loss increase bounding the flat region', default: 0.1, group: COMPARE_GROUP },
  'volume-directions': { kind: 'number', describe: 'random directions for the flat volume', default: 20, group: COMPARE_GROUP },
  rays: { kind: 'number', describe: 'random filter-normalised rays per solution', default: 5, group: COMPARE_GROUP },
  'ray-range': { kind: 'string', describe: 'distance grid of the rays', default: '0:1:11', group: COMPARE_GROUP },
  'line-range': { kind: 'string', describe: 'alpha grid of the lines between solutions', default: '-0.5:1.5:21', group: COMPARE_GROUP },
  plane: { kind: 'boolean', describe: 'also the plane through the first three solutions', default: false, group: COMPARE_GROUP },
} as const satisfies OptionTable;
