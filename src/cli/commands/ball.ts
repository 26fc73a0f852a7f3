/** `sharpness ball CKPT --data D --radius R[,R...] --norm box|l2|linf [--adaptive]`: max loss in an eps-neighbourhood. */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withAnalysisOptions, type AnalysisOptions } from '../analysisOptions.ts';
import { note, printResult } from '../output.ts';
import { BALL_NORMS, type BallNorm } from '../../sharpness/perturbationSet.ts';
import { BALL_DEFAULTS } from '../../sharpness/ballSharpness.ts';

export const command = 'ball <checkpoint>';
export const describe = 'max (and average) loss within an eps-ball or box around the solution (Keskar; SAM\'s rho)';

interface BallCliOptions extends AnalysisOptions {
  checkpoint: string;
  radius: string;
  norm: BallNorm;
  adaptive: boolean;
  steps: number;
  restarts: number;
  samples: number;
}

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & BallCliOptions> {
  return withAnalysisOptions(y.positional('checkpoint', { describe: 'checkpoint directory', type: 'string', demandOption: true }))
    .option('radius', { describe: 'radius or comma-separated radii r', type: 'string', demandOption: true, requiresArg: true })
    .option('norm', {
      describe: 'box: |e_i| <= r(|w_i|+1) (Keskar); l2: ||e|| <= r (SAM); linf: |e_i| <= r',
      choices: BALL_NORMS,
      default: 'l2',
    })
    .option('adaptive', { describe: 'scale the set elementwise by |w_i| (ASAM; l2 and linf)', type: 'boolean', default: false })
    .option('steps', { describe: 'projected gradient-ascent steps per start', type: 'number', default: BALL_DEFAULTS.steps })
    .option('restarts', { describe: 'random restarts inside the set, besides the SAM-style start', type: 'number', default: BALL_DEFAULTS.restarts })
    .option('samples', { describe: 'random points of the set for the average-case value', type: 'number', default: BALL_DEFAULTS.samples })
    .example('$0 ball runs/sgd --data mnist:test:2000 --radius 0.01,0.05 --norm l2', 'worst-case loss in two L2 balls')
    .example('$0 ball runs/sgd --data mnist:test:2000 --radius 5e-4 --norm box', "Keskar et al.'s sharpness") as unknown as Argv<
    GlobalOptions & BallCliOptions
  >;
}

export async function handler(argv: CommandArgs<BallCliOptions>): Promise<void> {
  const { ballSharpness, parseRadii, validateBallOptions } = await import('../../sharpness/ballSharpness.ts');
  const { formatBallResult } = await import('../../sharpness/formatSharpness.ts');
  const { openAnalysis, analysisDocument } = await import('../openAnalysis.ts');
  const { writeResultDocument } = await import('../../io/resultDocument.ts');
  const options = {
    norm: argv.norm,
    radii: parseRadii(argv.radius),
    adaptive: argv.adaptive,
    steps: argv.steps,
    restarts: argv.restarts,
    samples: argv.samples,
    seed: argv.seed,
  };
  validateBallOptions(options); // before any loading: bad options fail fast
  const a = await openAnalysis(argv, argv.checkpoint);
  try {
    const result = ballSharpness(a.objective, {
      ...options,
      onProgress: (done, total) => note(argv, `ball: radius ${done}/${total} done`),
    });
    const doc = analysisDocument(a, 'ball', argv, result);
    if (argv.out) await writeResultDocument(argv.out, doc);
    printResult(argv, doc, () => formatBallResult(result));
  } finally {
    a.dispose();
  }
}
