/**
 * `sharpness ball CKPT --data D --radius R[,R...] --norm box|l2|linf [--adaptive]`: max loss in an eps-neighbourhood.
 *
 * The work is independent items (per radius: the SAM start, each random restart, batches of
 * random samples; see jobs/ballJob.ts), so --shard k/n, --workers N and resuming from
 * OUT.partial.json all give the document of a single run (see itemCommand.ts).
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withAnalysisOptions, type AnalysisOptions } from '../analysisOptions.ts';
import { withItemOptions, type ItemOptions } from '../itemOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { BALL_GROUP, BALL_OPTIONS } from '../options/ballOptions.ts';

export const command = 'ball <checkpoint>';
export const describe = 'max (and average) loss within an eps-ball or box around the solution (Keskar; SAM\'s rho)';

type BallCliOptions = AnalysisOptions & ItemOptions & ArgsOf<typeof BALL_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & BallCliOptions> {
  return applyOptions(withAnalysisOptions(withItemOptions(y)), BALL_OPTIONS, BALL_GROUP)
    .example('$0 ball runs/sgd --data mnist:test:2000 --radius 0.01,0.05 --norm l2', 'worst-case loss in two L2 balls')
    .example('$0 ball runs/sgd --data mnist:test:2000 --radius 5e-4 --norm box', "Keskar et al.'s sharpness")
    .example('$0 ball runs/sgd --data mnist:test --radius 0.05 --restarts 8 --shard 1/2 --out part1.json', 'half of the restarts and samples; `sharpness merge` combines the halves');
}

export async function handler(argv: CommandArgs<BallCliOptions>): Promise<void> {
  const { describeBall } = await import('../jobs/ballJob.ts');
  const { runItemCommand } = await import('../itemCommand.ts');
  const description = describeBall(argv); // before any loading: bad options fail fast
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('ball', argv.out === undefined ? undefined : { kind: 'file', path: argv.out, siblings: ['.partial.json'] }, { checkpoints: [argv.checkpoint], data: [argv.data] });
  await runItemCommand(argv, { command: 'ball', module: new URL('../jobs/ballJob.ts', import.meta.url).href, description });
}
