/**
 * The options of `sharpness landscape`, once. The grid and the directions' norm have no
 * default here: the library picks them by the kind of landscape (landscape/landscapeOptions.ts).
 */
import { NORMS } from '../../directions/normalizeDirection.ts';
import { LANDSCAPE_DEFAULTS } from '../../landscape/landscapeOptions.ts';
import { LandscapeBn } from '../../landscape/landscapeTypes.ts';
import { BN_MODES } from '../../objective/Objective.ts';
import { DATA_OPTIONS } from '../analysisOptions.ts';
import type { OptionTable } from './OptionTable.ts';

export const LANDSCAPE_GROUP = 'Landscape:';

/** The analysis options with --bn recompute added. */
export const LANDSCAPE_ANALYSIS_OPTIONS = {
  ...DATA_OPTIONS,
  bn: {
    ...DATA_OPTIONS.bn,
    describe: 'BatchNorm statistics: eval = running (interpolated along lines and planes), train = per chunk, recompute = recomputed from --data at every point',
    choices: [...BN_MODES, LandscapeBn.recompute],
  },
} as const satisfies OptionTable;

export const LANDSCAPE_OPTIONS = {
  checkpoint: { kind: 'string', describe: 'checkpoint directory (the solution, or the first of a line or plane)', positional: true, demand: true },
  rays: { kind: 'number', describe: 'N random rays from the solution' },
  to: { kind: 'string', describe: 'the line through the checkpoint and CKPT2 (alpha = 0 and 1)' },
  plane: { kind: 'string', describe: 'the plane through the checkpoint, CKPT2 and CKPT3 (CKPT2,CKPT3)' },
  'random-plane': { kind: 'boolean', describe: 'the plane of two random directions through the checkpoint', default: false },
  range: {
    kind: 'string',
    describe: `grid a:b:n per axis (planes: a:b:n or a:b:n,c:d:m; --plane also auto[:n]). Defaults: rays ${LANDSCAPE_DEFAULTS.raysRange}, --to ${LANDSCAPE_DEFAULTS.lineRange}, --random-plane ${LANDSCAPE_DEFAULTS.randomPlaneRange}, --plane ${LANDSCAPE_DEFAULTS.planeRange}`,
  },
  norm: { kind: 'string', describe: `random directions: filter (Li et al.), layer, or none (unit Euclidean); default ${LANDSCAPE_DEFAULTS.norm}`, choices: NORMS },
  ignore: { kind: 'string', describe: 'random directions leave out bias,bn (default bias,bn with filter/layer, none with none)' },
  'eval-data': { kind: 'string', describe: 'second data set (e.g. the test set) for eval loss and error' },
} as const satisfies OptionTable;
