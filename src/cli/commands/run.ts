/** `sharpness run analyses/NAME.json`: runs an analysis recipe (several methods x seeds, mean ± std). */
import path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { RUN_OPTIONS } from '../options/runOptions.ts';
import { note, printResult, startEngine } from '../output.ts';
import { onInterrupt } from '../interrupt.ts';

export const command = 'run <recipe>';
export const describe = 'run an analysis recipe from analyses/ (training runs over seeds, a table of mean ± std)';

type RunOptions = ArgsOf<typeof RUN_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & RunOptions> {
  return applyOptions(y, RUN_OPTIONS).example('$0 run analyses/sam-vs-sgd.json', 'SAM vs SGD test error and lambda_max over 3 seeds');
}

export async function handler(argv: CommandArgs<RunOptions>): Promise<void> {
  const { loadRecipe, runRecipe, formatRecipeTable } = await import('../../training/runRecipe.ts');
  const { progressLine, epochLine, throttle } = await import('../../training/progress.ts');
  const recipe = await loadRecipe(argv.recipe); // validated before the engine starts
  const outDir = argv.out ?? path.join('reports', 'analyses', recipe.name);
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('run', { kind: 'dir', path: outDir, creates: '*' }, { files: [argv.recipe] });
  await startEngine(argv);
  let epochs = 0;
  const progress = throttle(5000, (line: string) => note(argv, line));
  const { lockOutput } = await import('../../io/outputLock.ts');
  const unlock = lockOutput('run', outDir);
  const release = onInterrupt(() => `run: finished training runs are in ${outDir}; rerun the same command to continue`);
  try {
    const result = await runRecipe(recipe, {
      outDir,
      events: {
        onNote: (line: string) => note(argv, line),
        training: {
          onStart: (s: { epochs: number }) => (epochs = s.epochs),
          onIteration: (i: Parameters<typeof progressLine>[0]) => progress(progressLine(i, epochs, NaN, 0, 0).replace(/ ETA .*$/, '')),
          onEpoch: (r: Parameters<typeof epochLine>[0]) => note(argv, epochLine(r, epochs, null)),
        },
      },
    });
    printResult(argv, result, () => `${formatRecipeTable(result)}results: ${path.join(outDir, 'results.json')}, ${path.join(outDir, 'results.md')}`);
  } finally {
    release();
    unlock();
  }
}
