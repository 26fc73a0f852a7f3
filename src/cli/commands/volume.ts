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
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { VOLUME_GROUP, VOLUME_OPTIONS } from '../options/volumeOptions.ts';

export const command = 'volume <checkpoint>';
export const describe = 'log volume of the region where the loss stays within delta of its minimum, from random directions';

type VolumeCliOptions = AnalysisOptions & ItemOptions & ArgsOf<typeof VOLUME_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & VolumeCliOptions> {
  return applyOptions(withAnalysisOptions(withItemOptions(y)), VOLUME_OPTIONS, VOLUME_GROUP)
    .example('$0 volume runs/sgd --data mnist:test:2000 --delta 0.1 --directions 100', 'flat volume at delta 0.1')
    .example('$0 volume runs/sgd --data mnist:test:2000 --delta 0.1 --directions 100 --shard 2/4 --out part2.json', 'a quarter of the directions, for `sharpness merge`');
}

export async function handler(argv: CommandArgs<VolumeCliOptions>): Promise<void> {
  const { describeVolume } = await import('../jobs/volumeJob.ts');
  const { runItemCommand } = await import('../itemCommand.ts');
  const description = describeVolume(argv);
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('volume', argv.out === undefined ? undefined : { kind: 'file', path: argv.out, siblings: ['.partial.json'] }, { checkpoints: [argv.checkpoint], data: [argv.data] });
  await runItemCommand(argv, { command: 'volume', module: new URL('../jobs/volumeJob.ts', import.meta.url).href, description });
}
