/** `sharpness evaluate CKPT... --data D [--ensemble]`: loss and accuracy per checkpoint and of their ensemble. */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withDataOptions, type DataOptions } from '../analysisOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { EVALUATE_OPTIONS } from '../options/evaluateOptions.ts';

export const command = 'evaluate <checkpoints..>';
export const describe = 'loss and accuracy of checkpoints on data; --ensemble scores their averaged predictions (FGE)';

type EvaluateOptions = DataOptions & ArgsOf<typeof EVALUATE_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & EvaluateOptions> {
  return applyOptions(withDataOptions(y), EVALUATE_OPTIONS)
    .example('$0 evaluate runs/sgd runs/sam --data mnist:test', 'test loss and accuracy of two solutions')
    .example('$0 evaluate runs/fge/snap-* --data mnist:test --ensemble', 'an FGE ensemble');
}

export type { EvaluateResult } from '../jobs/evaluateRun.ts';

export async function handler(argv: CommandArgs<EvaluateOptions>): Promise<void> {
  const { runEvaluate } = await import('../jobs/evaluateRun.ts');
  await runEvaluate(argv);
}
