/**
 * `sharpness landscape CKPT --data D [--eval-data D2] (--rays N | --to CKPT2 | --plane CKPT2,CKPT3 | --random-plane)`:
 * train/eval loss and error along random rays, the line through two solutions, the plane
 * through three, or a plane of two random filter-normalised directions.
 *
 * The grid points and the checkpoints are the items of an item job (cli/jobs/landscapeJob.ts):
 * --shard k/n, --workers N and resuming from OUT.partial.json after an interruption all give
 * the result of a single run (see cli/itemCommand.ts).
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { ANALYSIS_GROUP } from '../analysisOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { LANDSCAPE_ANALYSIS_OPTIONS, LANDSCAPE_GROUP, LANDSCAPE_OPTIONS } from '../options/landscapeOptions.ts';
import { withItemOptions, type ItemOptions } from '../itemOptions.ts';

export const command = 'landscape <checkpoint>';
export const describe = 'loss and error along random rays, the line through two solutions, or a plane (through three, or random)';

type LandscapeCliOptions = ArgsOf<typeof LANDSCAPE_ANALYSIS_OPTIONS> & ItemOptions & ArgsOf<typeof LANDSCAPE_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & LandscapeCliOptions> {
  return applyOptions(applyOptions(withItemOptions(y), LANDSCAPE_ANALYSIS_OPTIONS, ANALYSIS_GROUP), LANDSCAPE_OPTIONS, LANDSCAPE_GROUP)
    .example('$0 landscape runs/sgd --data mnist:train:2000 --eval-data mnist:test --rays 10 --out rays.json', 'ten random rays')
    .example('$0 landscape runs/swa --to runs/sgd --data mnist:train:2000 --eval-data mnist:test --out line.json', 'the SWA-SGD line')
    .example('$0 landscape runs/fge1 --plane runs/fge2,runs/swa --data mnist:train:2000 --out plane.json', 'the plane through three solutions')
    .example('$0 landscape runs/sgd --random-plane --data mnist:test:1000 --shard 2/4 --out part2.json', 'a quarter of a random plane');
}

export async function handler(argv: CommandArgs<LandscapeCliOptions>): Promise<void> {
  const { resolveLandscapeSpec } = await import('../../landscape/landscapeOptions.ts');
  const spec = resolveLandscapeSpec({
    checkpoint: argv.checkpoint,
    rays: argv.rays,
    to: argv.to,
    plane: argv.plane,
    randomPlane: argv.randomPlane,
    range: argv.range,
    norm: argv.norm,
    ignore: argv.ignore,
    data: argv.data,
    evalData: argv.evalData,
    loss: argv.loss,
    bn: argv.bn,
    l2: argv.l2,
    batchSize: argv.batchSize,
    seed: argv.seed,
  });
  const { describeLandscape } = await import('../jobs/landscapeJob.ts');
  const { runItemCommand } = await import('../itemCommand.ts');
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('landscape', argv.out === undefined ? undefined : { kind: 'file', path: argv.out, siblings: ['.partial.json'] }, {
    checkpoints: spec.checkpoints,
    data: [spec.data, spec.evalData],
  });
  await runItemCommand(argv, { command: 'landscape', module: new URL('../jobs/landscapeJob.ts', import.meta.url).href, description: describeLandscape(spec, argv) });
}
