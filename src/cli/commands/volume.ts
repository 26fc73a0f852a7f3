/**
 * `sharpness volume CKPT --data D --delta DELTA`: flat volume (Hochreiter & Schmidhuber).
 *
 * Each direction (of the whole model, and of each layer with --per-layer) is an independent
 * item (cli/jobs/volumeJob.ts): --shard k/n, --workers N and resuming from OUT.partial.json
 * after an interruption all give the result of a single run (see cli/itemCommand.ts).
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withAnalysisOptions, type AnalysisOptions } from '../analysisOptions.ts';
import { withItemOptions, type ItemOptions } from '../itemOptions.ts';
import { NORMS, type Norm } from '../../directions/normalizeDirection.ts';
import { VOLUME_DEFAULTS } from '../../sharpness/flatVolume.ts';

export const command = 'volume <checkpoint>';
export const describe = 'log volume of the region where the loss stays within delta of its minimum, from random directions';

interface VolumeCliOptions extends AnalysisOptions, ItemOptions {
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
  return withItemOptions(withAnalysisOptions(y.positional('checkpoint', { describe: 'checkpoint directory', type: 'string', demandOption: true })))
    .option('delta', { describe: 'loss increase that bounds the region (> 0)', type: 'number', demandOption: true, requiresArg: true })
    .option('directions', { describe: 'number of random directions', type: 'number', default: 50 })
    .option('norm', { describe: 'direction scaling: none (unit Gaussian), layer, filter (Li et al.)', choices: NORMS, default: 'none' })
    .option('ignore', { describe: 'parameter kinds left out of the directions: bias,bn (default bias,bn with filter/layer norm)', type: 'string' })
    .option('max-radius', { describe: 'radii beyond this are censored', type: 'number', default: VOLUME_DEFAULTS.maxRadius })
    .option('tolerance', { describe: 'relative tolerance of the bisection on each radius', type: 'number', default: VOLUME_DEFAULTS.tolerance })
    .option('bootstrap', { describe: 'bootstrap resamples for the confidence interval', type: 'number', default: VOLUME_DEFAULTS.bootstrap })
    .option('per-layer', { describe: 'also the same estimate per layer (d = the layer size)', type: 'boolean', default: false })
    .example('$0 volume runs/sgd --data mnist:test:2000 --delta 0.1 --directions 100', 'flat volume at delta 0.1')
    .example('$0 volume runs/sgd --data mnist:test:2000 --delta 0.1 --directions 100 --shard 2/4 --out part2.json', 'a quarter of the directions, for `sharpness merge`') as unknown as Argv<
    GlobalOptions & VolumeCliOptions
  >;
}

export async function handler(argv: CommandArgs<VolumeCliOptions>): Promise<void> {
  const { describeVolume } = await import('../jobs/volumeJob.ts');
  const { runItemCommand } = await import('../itemCommand.ts');
  const description = describeVolume(argv);
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('volume', argv.out === undefined ? undefined : { kind: 'file', path: argv.out, siblings: ['.partial.json'] }, { checkpoints: [argv.checkpoint], data: [argv.data] });
  await runItemCommand(argv, { command: 'volume', module: new URL('../jobs/volumeJob.ts', import.meta.url).href, description });
}
