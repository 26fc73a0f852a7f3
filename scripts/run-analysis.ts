/**
 * Runs an analysis recipe until `sharpness run` exists:
 *
 *   node --import=tsx scripts/run-analysis.ts analyses/sam-vs-sgd.json [--out DIR] [--backend wasm|cpu|auto] [--quiet]
 *
 * Writes DIR/results.json and DIR/results.md (default DIR: reports/analyses/<name>) and
 * prints the table. Rerunning resumes unfinished training runs.
 */
import path from 'node:path';
import { initEngine, describeEngine, type Backend } from '../src/engine/backend.ts';
import { loadRecipe, runRecipe, formatRecipeTable } from '../src/training/runRecipe.ts';
import { progressLine, epochLine, throttle } from '../src/training/progress.ts';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--out' && args[args.indexOf(a) - 1] !== '--backend');
if (!file) {
  process.stderr.write('usage: node --import=tsx scripts/run-analysis.ts RECIPE.json [--out DIR] [--backend wasm|cpu|auto] [--quiet]\n');
  process.exit(2);
}
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quiet = args.includes('--quiet');
const say = (line: string) => {
  if (!quiet) process.stderr.write(`${line}\n`);
};
try {
  const recipe = await loadRecipe(file);
  const info = await initEngine({ backend: (opt('--backend') ?? 'auto') as Backend });
  say(describeEngine(info));
  const outDir = opt('--out') ?? path.join('reports', 'analyses', recipe.name);
  let epochs = 0;
  const progress = throttle(5000, say);
  const result = await runRecipe(recipe, {
    outDir,
    events: {
      onNote: say,
      training: {
        onStart: (s) => (epochs = s.epochs),
        onIteration: (i) => progress(progressLine(i, epochs, NaN, 0, 0).replace(/ ETA .*$/, '')),
        onEpoch: (r) => say(epochLine(r, epochs, null)),
      },
    },
  });
  process.stdout.write(formatRecipeTable(result));
  say(`results: ${path.join(outDir, 'results.json')}, ${path.join(outDir, 'results.md')}`);
} catch (e) {
  process.stderr.write(`run-analysis: ${(e as Error).message}\n`);
  process.exit((e as { exitCode?: number }).exitCode ?? 1);
}
