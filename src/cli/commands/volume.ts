/** `sharpness volume CKPT --data D --delta DELTA`: flat volume (Hochreiter & Schmidhuber). */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withAnalysisOptions, type AnalysisOptions } from '../analysisOptions.ts';
import { note, printResult } from '../output.ts';
import { NORMS, type Norm } from '../../directions/normalizeDirection.ts';
import { VOLUME_DEFAULTS } from '../../sharpness/flatVolume.ts';

export const command = 'volume <checkpoint>';
export const describe = 'log volume of the region where the loss stays within delta of its minimum, from random directions';

interface VolumeCliOptions extends AnalysisOptions {
  checkpoint: string;
  delta: number;
  directions: number;
  norm: Norm;
  ignore: string | undefined;
  maxRadius: number;
  tolerance: number;
  bootstrap: number;
  perLayer: boolean;
}

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & VolumeCliOptions> {
  return withAnalysisOptions(y.positional('checkpoint', { describe: 'checkpoint directory', type: 'string', demandOption: true }))
    .option('delta', { describe: 'loss increase that bounds the region (> 0)', type: 'number', demandOption: true, requiresArg: true })
    .option('directions', { describe: 'number of random directions', type: 'number', default: 50 })
    .option('norm', { describe: 'direction scaling: none (unit Gaussian), layer, filter (Li et al.)', choices: NORMS, default: 'none' })
    .option('ignore', { describe: 'parameter kinds left out of the directions: bias,bn (default bias,bn with filter/layer norm)', type: 'string' })
    .option('max-radius', { describe: 'radii beyond this are censored', type: 'number', default: VOLUME_DEFAULTS.maxRadius })
    .option('tolerance', { describe: 'relative tolerance of the bisection on each radius', type: 'number', default: VOLUME_DEFAULTS.tolerance })
    .option('bootstrap', { describe: 'bootstrap resamples for the confidence interval', type: 'number', default: VOLUME_DEFAULTS.bootstrap })
    .option('per-layer', { describe: 'also the same estimate per layer (d = the layer size)', type: 'boolean', default: false })
    .example('$0 volume runs/sgd --data mnist:test:2000 --delta 0.1 --directions 100', 'flat volume at delta 0.1') as unknown as Argv<
    GlobalOptions & VolumeCliOptions
  >;
}

export async function handler(argv: CommandArgs<VolumeCliOptions>): Promise<void> {
  const { flatVolume, validateVolumeOptions } = await import('../../sharpness/flatVolume.ts');
  const { parseIgnore } = await import('../../directions/normalizeDirection.ts');
  const { formatVolumeResult } = await import('../../sharpness/formatSharpness.ts');
  const { openAnalysis, analysisDocument } = await import('../openAnalysis.ts');
  const { writeResultDocument } = await import('../../io/resultDocument.ts');
  // Filter / layer normalisation copies 1-D blocks from w (the reference code's rule), which
  // makes every direction share them; leaving biases and BatchNorm out is the useful default.
  const ignore = parseIgnore(argv.ignore ?? (argv.norm === 'none' ? 'none' : 'bias,bn'));
  const options = {
    delta: argv.delta,
    directions: argv.directions,
    norm: argv.norm,
    ignore,
    maxRadius: argv.maxRadius,
    tolerance: argv.tolerance,
    bootstrap: argv.bootstrap,
    perLayer: argv.perLayer,
    seed: argv.seed,
  };
  validateVolumeOptions(options);
  const a = await openAnalysis(argv, argv.checkpoint);
  try {
    let last = 0;
    const result = flatVolume(a.objective, {
      ...options,
      onProgress: (done, total) => {
        const now = performance.now();
        if (done === total || now - last > 2000) {
          last = now;
          note(argv, `volume: ${done}/${total} directions`);
        }
      },
    });
    const doc = analysisDocument(a, 'volume', argv, result);
    if (argv.out) await writeResultDocument(argv.out, doc);
    printResult(argv, doc, () => formatVolumeResult(result));
  } finally {
    a.dispose();
  }
}
