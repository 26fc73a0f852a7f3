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
import { BALL_NORMS, type BallNorm } from '../../sharpness/perturbationSet.ts';
import { BALL_DEFAULTS } from '../../sharpness/validateBallOptions.ts';

export const command = 'ball <checkpoint>';
export const describe = 'max (and average) loss within an eps-ball or box around the solution (Keskar; SAM\'s rho)';

interface BallCliOptions extends AnalysisOptions, ItemOptions {
  checkpoint: string;
  radius: string;
  norm: BallNorm;
  adaptive: boolean;
  steps: number;
  restarts: number;
  samples: number;
}

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & BallCliOptions> {
  return withAnalysisOptions(withItemOptions(y).positional('checkpoint', { describe: 'checkpoint directory', type: 'string', demandOption: true }))
    .option('radius', { describe: 'radius or comma-separated radii r', type: 'string', demandOption: true, requiresArg: true })
    .option('norm', {
      describe: 'box: |e_i| <= r(|w_i|+1) (Keskar); l2: ||e|| <= r (SAM); linf: |e_i| <= r',
      choices: BALL_NORMS,
      default: 'l2',
    })
    .option('adaptive', { describe: 'scale the set elementwise by |w_i| (ASAM; l2 and linf)', type: 'boolean', default: false })
    .option('steps', { describe: 'projected gradient-ascent steps per start', type: 'number', default: BALL_DEFAULTS.steps })
    .option('restarts', { describe: 'random restarts inside the set (random vertices of box / linf sets), besides the SAM-style start', type: 'number', default: BALL_DEFAULTS.restarts })
    .option('samples', { describe: 'random points of the set for the average-case value', type: 'number', default: BALL_DEFAULTS.samples })
    .example('$0 ball runs/sgd --data mnist:test:2000 --radius 0.01,0.05 --norm l2', 'worst-case loss in two L2 balls')
    .example('$0 ball runs/sgd --data mnist:test:2000 --radius 5e-4 --norm box', "Keskar et al.'s sharpness")
    .example('$0 ball runs/sgd --data mnist:test --radius 0.05 --restarts 8 --shard 1/2 --out part1.json', 'half of the restarts and samples; `sharpness merge` combines the halves') as unknown as Argv<
    GlobalOptions & BallCliOptions
  >;
}

export async function handler(argv: CommandArgs<BallCliOptions>): Promise<void> {
  const { describeBall } = await import('../jobs/ballJob.ts');
  const { runItemCommand } = await import('../itemCommand.ts');
  const description = describeBall(argv); // before any loading: bad options fail fast
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('ball', argv.out === undefined ? undefined : { kind: 'file', path: argv.out, siblings: ['.partial.json'] }, { checkpoints: [argv.checkpoint], data: [argv.data] });
  await runItemCommand(argv, { command: 'ball', module: new URL('../jobs/ballJob.ts', import.meta.url).href, description });
}
