/**
 * `sharpness landscape CKPT --data D [--eval-data D2] (--rays N | --to CKPT2 | --plane CKPT2,CKPT3 | --random-plane)`:
 * train/eval loss and error along random rays, the line through two solutions, the plane
 * through three, or a plane of two random filter-normalised directions.
 *
 * Long runs are safe to stop: with --out, finished points go to OUT.partial.json (atomically,
 * every --save-interval seconds and on Ctrl-C), and rerunning the same command resumes from
 * it and writes the same result as an uninterrupted run. --shard k/n computes the items
 * i with i % n === k - 1 into a shard document; `sharpness merge` combines the shards.
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
  const { runLandscape } = await import('../jobs/landscapeRun.ts');
  // One run per --out: a second one says the output is in use (io/outputLock.ts).
  const unlock = argv.out === undefined ? () => undefined : (await import('../../io/outputLock.ts')).lockOutput('landscape', argv.out);
  try {
    await runLandscape(argv, spec);
  } finally {
    unlock();
  }
}
