/** The options of `sharpness volume`, once: defaults from the library's (sharpness/volumeSearch.ts). */
import { NORMS, Norm } from '../../directions/normalizeDirection.ts';
import { VOLUME_DEFAULTS } from '../../sharpness/flatVolume.ts';
import type { OptionTable } from './OptionTable.ts';

export const VOLUME_GROUP = 'Volume:';

export const VOLUME_OPTIONS = {
  checkpoint: { kind: 'string', describe: 'checkpoint directory', positional: true, demand: true },
  delta: { kind: 'number', describe: 'loss increase that bounds the region (> 0)', demand: true, requiresArg: true },
  directions: { kind: 'number', describe: 'number of random directions', default: 50 },
  norm: { kind: 'string', describe: 'direction scaling: none (unit Gaussian), layer, filter (Li et al.)', choices: NORMS, default: Norm.none },
  ignore: { kind: 'string', describe: 'parameter kinds left out of the directions: bias,bn (default bias,bn with filter/layer norm)', requiresArg: false },
  'max-radius': { kind: 'number', describe: 'radii beyond this are censored', default: VOLUME_DEFAULTS.maxRadius },
  tolerance: { kind: 'number', describe: 'relative tolerance of the bisection on each radius', default: VOLUME_DEFAULTS.tolerance },
  bootstrap: { kind: 'number', describe: 'bootstrap resamples for the confidence interval', default: VOLUME_DEFAULTS.bootstrap },
  'per-layer': { kind: 'boolean', describe: 'also the same estimate per layer (d = the layer size)', default: false },
} as const satisfies OptionTable;
