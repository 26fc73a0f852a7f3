/**
 * `sharpness hessian CKPT --data D`: top eigenvalues, trace and spectral density of the Hessian.
 *
 * Its work is independent items (the eigenpairs, each Hutchinson probe, each SLQ run, each
 * layer: hessian/hessianItems.ts), so --shard k/n, --workers N and resuming an interrupted
 * run with --out all give the result of one uninterrupted run (cli/itemCommand.ts).
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withAnalysisOptions, type AnalysisOptions } from '../analysisOptions.ts';
import { withItemOptions, type ItemOptions } from '../itemOptions.ts';
import { applyOptions, checkOptions, type ArgsOf } from '../options/OptionTable.ts';
import { HESSIAN_GROUP, HESSIAN_OPTIONS } from '../options/hessianOptions.ts';
import type { HessianReport } from '../../hessian/hessianReport.ts';

export const command = 'hessian <checkpoint>';
export const describe = 'top (or most negative) Hessian eigenvalues, Hutchinson trace and SLQ spectral density';

type HessianCliOptions = AnalysisOptions & ItemOptions & ArgsOf<typeof HESSIAN_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & HessianCliOptions> {
  return applyOptions(withAnalysisOptions(withItemOptions(y)), HESSIAN_OPTIONS, HESSIAN_GROUP)
    .example('$0 hessian runs/sgd --data mnist:test:2000 --top-k 5 --trace', 'lambda_1..5 and the trace')
    .example('$0 hessian runs/sgd --data mnist:test:2000 --density --runs 3 --steps 80', 'the spectral density')
    .example('$0 hessian runs/sgd --data mnist:test:2000 --trace --density --runs 4 --shard 1/2 --out h1.json', 'half the probes and runs; `sharpness merge h1.json h2.json` combines');
}

export async function handler(argv: CommandArgs<HessianCliOptions>): Promise<void> {
  const { describeHessian } = await import('../jobs/hessianJob.ts');
  const { hessianConvergenceNote } = await import('../../hessian/formatHessian.ts');
  const { runItemCommand } = await import('../itemCommand.ts');
  checkOptions('hessian', HESSIAN_OPTIONS, argv);
  const description = describeHessian(argv); // bad options fail before any loading
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('hessian', argv.out === undefined ? undefined : { kind: 'file', path: argv.out, siblings: ['.partial.json'] }, { checkpoints: [argv.checkpoint], data: [argv.data] });
  await runItemCommand(argv, {
    command: 'hessian',
    module: new URL('../jobs/hessianJob.ts', import.meta.url).href,
    description,
    afterResult: (result) => hessianConvergenceNote(result as HessianReport),
  });
}
