/**
 * `sharpness swa CKPT... --data D --out DIR`: post-hoc SWA of saved checkpoints of one
 * architecture: every weight averaged, BatchNorm statistics recomputed on D, saved as a
 * checkpoint with a sidecar naming its parents. ONNX checkpoints are written back as ONNX
 * (DIR/model.onnx: the first checkpoint's graph with the averaged initializers).
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { note, printResult, startEngine } from '../output.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { SWA_OPTIONS } from '../options/swaOptions.ts';

export const command = 'swa <checkpoints..>';
export const describe = 'average checkpoints of one architecture (post-hoc SWA), BatchNorm recomputed on --data';

type SwaOptions = ArgsOf<typeof SWA_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & SwaOptions> {
  return applyOptions(y, SWA_OPTIONS).example(
    '$0 swa runs/sgd/epoch-6 runs/sgd/epoch-8 runs/sgd/epoch-10 --data mnist:train:5000 --out runs/swa-posthoc',
    'SWA of a saved trajectory',
  );
}

export async function handler(argv: CommandArgs<SwaOptions>): Promise<void> {
  const { runSwa } = await import('../../training/runSwa.ts');
  const { recordedOptions } = await import('../../analysis/openAnalysis.ts');
  const { solutionLine } = await import('../../training/progress.ts');
  const doc = await runSwa(
    { checkpoints: argv.checkpoints, data: argv.data, evalData: argv.evalData, loss: argv.loss, batchSize: argv.batchSize, seed: argv.seed, outDir: argv.out, recorded: recordedOptions(argv), workers: argv.workers },
    { startEngine: () => startEngine(argv), note: (line) => note(argv, line) },
  );
  const r = doc.result;
  printResult(argv, doc, () => solutionLine('swa', { path: r.checkpoint, train: r.train, eval: r.eval }));
}
