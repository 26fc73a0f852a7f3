/** The options of `sharpness ball`, once: defaults from the library's (sharpness/validateBallOptions.ts). */
import { BALL_NORMS, BallNorm } from '../../sharpness/perturbationSet.ts';
import { BALL_DEFAULTS } from '../../sharpness/validateBallOptions.ts';
import type { OptionTable } from './OptionTable.ts';

export const BALL_GROUP = 'Ball:';

export const BALL_OPTIONS = {
  checkpoint: { kind: 'string', describe: 'checkpoint directory', positional: true, demand: true },
  radius: { kind: 'string', describe: 'radius or comma-separated radii r', demand: true, requiresArg: true },
  norm: {
    kind: 'string',
    describe: 'box: |e_i| <= r(|w_i|+1) (Keskar); l2: ||e|| <= r (SAM); linf: |e_i| <= r',
    choices: BALL_NORMS,
    default: BallNorm.l2,
  },
  adaptive: { kind: 'boolean', describe: 'scale the set elementwise by |w_i| (ASAM; l2 and linf)', default: false },
  steps: { kind: 'number', describe: 'projected gradient-ascent steps per start', default: BALL_DEFAULTS.steps },
  restarts: {
    kind: 'number',
    describe: 'random restarts inside the set (random vertices of box / linf sets), besides the SAM-style start',
    default: BALL_DEFAULTS.restarts,
  },
  samples: { kind: 'number', describe: 'random points of the set for the average-case value', default: BALL_DEFAULTS.samples },
} as const satisfies OptionTable;
