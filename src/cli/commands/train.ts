/**
 * `sharpness train --model mlp|cnn|resnet|PATH --data D [--eval-data E] --method sgd|sam|swa|fge ... --out DIR`:
 * trains a solution into a run directory (see src/training/runTraining.ts for its layout);
 * rerunning the same command resumes after the last completed epoch.
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { note, printResult, startEngine } from '../output.ts';
import { onInterrupt } from '../interrupt.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { TRAIN_OPTIONS } from '../options/trainOptions.ts';

export const command = 'train';
export const describe = 'train a solution with SGD, SAM, SWA or FGE (resumable; rerun the same command to resume)';

type TrainCliOptions = ArgsOf<typeof TRAIN_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & TrainCliOptions> {
  return applyOptions(y, TRAIN_OPTIONS)
    .example('$0 train --model cnn --data mnist:train:5000 --eval-data mnist:test:1000 --epochs 5 --out runs/sgd', 'SGD')
    .example('$0 train --model cnn --data mnist:train:5000 --method sam --rho 0.05 --out runs/sam', 'SAM (p = 2)')
    .example('$0 train --model cnn --data mnist:train:5000 --epochs 10 --method swa --swa-start 6 --swa-lr 0.01 --out runs/swa', 'SWA, constant LR after epoch 6')
    .example('$0 train --model cnn --data mnist:train:5000 --epochs 10 --method fge --swa-start 4 --cycle 158 --swa-lr 0.001 --out runs/fge', 'FGE snapshots every 2 epochs');
}

export async function handler(argv: CommandArgs<TrainCliOptions>): Promise<void> {
  const { runTrain } = await import('../../training/runTrain.ts');
  const { recordedOptions } = await import('../../analysis/openAnalysis.ts');
  const { solutionLine, formatDuration } = await import('../../training/progress.ts');
  const { doc, summary, seconds, outDir } = await runTrain(
    { model: argv.model, init: argv.init, data: argv.data, evalData: argv.evalData, loss: argv.loss, options: argv, seed: argv.seed, outDir: argv.out, recorded: recordedOptions(argv), workers: argv.workers },
    { startEngine: () => startEngine(argv), note: (line) => note(argv, line), onInterrupt },
  );
  printResult(argv, doc, () => {
    const lines = [
      `train: ${summary.method}, ${summary.epochs} epochs (${summary.iterations} iterations)${summary.resumedFrom > 0 ? `, resumed after epoch ${summary.resumedFrom}` : ''}, ${formatDuration(seconds)}; log ${summary.log}`,
    ];
    for (const [name, s] of Object.entries(summary.solutions)) lines.push(solutionLine(name, s));
    if (summary.snapshots.length > 0) lines.push(`snapshots: ${summary.snapshots.length} in ${outDir}/snapshot-1 ... snapshot-${summary.snapshots.length}`);
    return lines.join('\n');
  });
}
