/**
 * Runs an analysis recipe (recipe.ts): every run for every seed into OUT/<run>/seed-<s>
 * (each a resumable training run, so rerunning an interrupted recipe continues it), scores
 * every solution on the recipe's test data, optionally measures lambda_max, and summarises
 * each metric over the seeds as mean +- sample standard deviation. Writes OUT/results.json
 * and OUT/results.md.
 */
import { layersNetwork } from '../formats/layers/layersNetwork.ts';
import * as path from 'node:path';
import { ensureDirectory } from '../io/ensureDirectory.ts';
import { cpuSeconds } from '../io/cpuClock.ts';
import { tfl } from '../engine/tf.ts';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomicWrite.ts';
import { openAnalysisFor, openData } from '../analysis/openAnalysis.ts';
import { BnMode } from '../objective/Objective.ts';
import { AUTO_BATCH_SIZE, type BatchSize } from '../objective/objectiveDefaults.ts';
import { loadDataset, type Dataset } from '../io/dataset.ts';
import { Hessian } from '../hessian/Hessian.ts';
import { buildBuiltinModel, isBuiltinModel } from '../models/builtinModels.ts';
import { modelFromTopologyFile } from '../models/topologyFile.ts';
import { VERSION } from '../version.ts';
import { MAX_BYTES, readInputTextSync } from '../io/safeRead.ts';
import { parseRecipe, runConfig, type Recipe } from './recipe.ts';
import { formatRecipeTableMarkdown, recipeTable, type RecipeTable, type SeedSummary } from '../report/recipeTable.ts';
import { runTraining, type RunEvents, type SolutionResult } from './runTraining.ts';
import { formatDuration } from './progress.ts';
import { DEFAULT_SEED } from '../engine/rng.ts';

export const RECIPE_RESULT_SCHEMA = 'sharpness/recipe-result@1';

/** Scores of one solution of one run and seed. */
export type SolutionScores = Record<string, number | null>;

export interface RecipeRunResult {
  run: string;
  seed: number;
  outDir: string;
  /** Seconds this run took (training + scoring + measures) in this invocation, wall clock. */
  seconds: number;
  /** CPU seconds of this process over the same span (user + system): less sensitive to other load. */
  cpuSeconds: number;
  resumedFrom: number;
  solutions: Record<string, SolutionScores>;
}

/** One metric of one (run, solution) over the seeds; the recipe table is built from these. */
export type SummaryRow = SeedSummary;

export interface RecipeResult {
  schema: string;
  tool: string;
  recipe: Recipe;
  results: RecipeRunResult[];
  summary: SummaryRow[];
  /** Wall-clock seconds per run name (all seeds), and in all. */
  runSeconds: Record<string, number>;
  /** CPU seconds per run name (all seeds), and in all. */
  runCpuSeconds: Record<string, number>;
  seconds: number;
  cpuSeconds: number;
  /**
   * The BatchNorm mode of every score and measure in this result: test and train scores
   * (scoreModel) and lambda_max use running statistics, as `evaluate --bn eval` does.
   */
  bn: BnMode;
  /** The paper's table layout filled from the summary (when the recipe has a `table`). */
  table?: RecipeTable;
}

export interface RecipeEvents {
  onNote?(line: string): void;
  /** Passed to each training run (progress). */
  training?: RunEvents;
}

export async function loadRecipe(file: string): Promise<Recipe> {
  // A regular file (a FIFO cannot hang the run), bounded in size; errors name the file.
  return parseRecipe(readInputTextSync(file, { what: 'recipe', maxBytes: MAX_BYTES.resultJson }), file);
}

function scoresOf(s: SolutionResult): SolutionScores {
  const out: SolutionScores = {
    testLoss: s.eval?.loss ?? null,
    testAccuracy: s.eval?.accuracy ?? null,
    testError: s.eval?.accuracy == null ? null : 1 - s.eval.accuracy,
    trainLoss: s.train.loss,
    trainError: s.train.accuracy === null ? null : 1 - s.train.accuracy,
  };
  return out;
}

async function buildModel(recipe: Recipe, data: Dataset, seed: number): Promise<tfl.LayersModel> {
  if (isBuiltinModel(recipe.model)) {
    const t = data.targets;
    return t.kind === 'classes'
      ? buildBuiltinModel(recipe.model, data.sampleShape, Math.max(t.numClasses, 2), seed)
      : buildBuiltinModel(recipe.model, data.sampleShape, t.dim, seed, { outputActivation: 'linear' });
  }
  return modelFromTopologyFile(recipe.model, seed);
}

async function lambdaMax(
  checkpointDir: string,
  data: Dataset,
  opts: { maxIter?: number; tol?: number },
): Promise<{ value: number; converged: boolean; hvps: number }> {
  const spec = { checkpoint: checkpointDir, data: data.spec, loss: 'auto', bn: BnMode.eval, l2: 0, batchSize: AUTO_BATCH_SIZE as BatchSize, seed: DEFAULT_SEED };
  const a = await openAnalysisFor(spec, { data });
  try {
    const o = a.objective;
    const r = Hessian.fromObjective(o).eigenvalues({ topK: 1, ...(opts.maxIter ? { maxIter: opts.maxIter } : {}), ...(opts.tol ? { tol: opts.tol } : {}) });
    return { value: r.eigenvalues[0]!, converged: r.converged, hvps: o.cost.hvps };
  } finally {
    a.dispose();
  }
}

/** Each metric of each (run, solution) over the seeds: mean and sample standard deviation (n - 1). */
export function summarise(results: readonly Pick<RecipeRunResult, 'run' | 'solutions'>[]): SummaryRow[] {
  const groups = new Map<string, SummaryRow>();
  for (const r of results) {
    for (const [solution, scores] of Object.entries(r.solutions)) {
      for (const [metric, value] of Object.entries(scores)) {
        if (value === null || !Number.isFinite(value)) continue;
        const key = `${r.run}\u0000${solution}\u0000${metric}`;
        let g = groups.get(key);
        if (!g) {
          g = { run: r.run, solution, metric, n: 0, mean: 0, std: null, values: [] };
          groups.set(key, g);
        }
        g.values.push(value);
      }
    }
  }
  for (const g of groups.values()) {
    g.n = g.values.length;
    g.mean = g.values.reduce((a, b) => a + b, 0) / g.n;
    g.std = g.n > 1 ? Math.sqrt(g.values.reduce((a, b) => a + (b - g.mean) ** 2, 0) / (g.n - 1)) : null;
  }
  return [...groups.values()];
}

export async function runRecipe(recipe: Recipe, opts: { outDir: string; events?: RecipeEvents }): Promise<RecipeResult> {
  const started = performance.now();
  const cpu0 = cpuSeconds();
  const cpuSince = (c: number) => cpuSeconds() - c;
  const note = (line: string) => opts.events?.onNote?.(line);
  const data = await loadDataset(recipe.data);
  const evalData = await loadDataset(recipe.evalData);
  const lm = recipe.measures?.lambdaMax;
  const lmData = lm ? await loadDataset(lm.data) : undefined;
  const results: RecipeRunResult[] = [];
  const runSeconds: Record<string, number> = {};
  const runCpuSeconds: Record<string, number> = {};
  await ensureDirectory(opts.outDir);
  for (const run of recipe.runs) {
    for (const seed of recipe.seeds) {
      const t0 = performance.now();
      const c0 = cpuSeconds();
      const config = runConfig(recipe, run, seed);
      const model = await buildModel(recipe, data, seed);
      const outDir = path.join(opts.outDir, run.name, `seed-${seed}`);
      let summary;
      try {
        const { loss } = await openData(layersNetwork(model), { data: data.spec, loss: 'auto', seed }, { given: data });
        await openData(layersNetwork(model), { data: evalData.spec, loss, seed }, { given: evalData });
        note(`recipe ${recipe.name}: run ${run.name}, seed ${seed} (${config.method}, ${config.epochs} epochs)`);
        summary = await runTraining({
          model,
          modelSource: recipe.model,
          data,
          evalData,
          loss,
          config,
          outDir,
          ...(opts.events?.training ? { events: opts.events.training } : {}),
        });
      } finally {
        model.dispose();
      }
      const solutions: Record<string, SolutionScores> = {};
      for (const [name, s] of Object.entries(summary.solutions)) {
        // swa's DIR/final is DIR/swa: report it once.
        if (name === 'final' && summary.solutions['swa']) continue;
        const scores = scoresOf(s);
        if (lm && lmData && s.path) {
          const r = await lambdaMax(s.path, lmData, lm);
          scores['lambdaMax'] = r.value;
          scores['lambdaMaxConverged'] = r.converged ? 1 : 0;
        }
        solutions[name] = scores;
      }
      const seconds = (performance.now() - t0) / 1000;
      const runCpu = cpuSince(c0);
      runSeconds[run.name] = (runSeconds[run.name] ?? 0) + seconds;
      runCpuSeconds[run.name] = (runCpuSeconds[run.name] ?? 0) + runCpu;
      results.push({ run: run.name, seed, outDir, seconds, cpuSeconds: runCpu, resumedFrom: summary.resumedFrom, solutions });
      note(
        `recipe ${recipe.name}: ${run.name} seed ${seed} done in ${formatDuration(seconds)}: ` +
          Object.entries(solutions)
            .map(([k, v]) => `${k} test error ${v['testError'] === null ? 'n/a' : (100 * v['testError']!).toFixed(2) + '%'}${v['lambdaMax'] != null ? `, lambda_max ${v['lambdaMax']!.toPrecision(4)}` : ''}`)
            .join('; '),
      );
    }
  }
  const result: RecipeResult = {
    schema: RECIPE_RESULT_SCHEMA,
    tool: `sharpness ${VERSION}`,
    recipe,
    bn: BnMode.eval,
    results,
    summary: summarise(results),
    runSeconds,
    runCpuSeconds,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: cpuSince(cpu0),
  };
  if (recipe.table) result.table = recipeTable(recipe.table, result.summary);
  await writeJsonAtomic(path.join(opts.outDir, 'results.json'), result);
  await writeFileAtomic(path.join(opts.outDir, 'results.md'), formatRecipeTable(result));
  return result;
}

const PERCENT_METRICS = new Set(['testError', 'testAccuracy', 'trainError']);

function cell(row: SummaryRow | undefined): string {
  if (!row) return '';
  const scale = PERCENT_METRICS.has(row.metric) ? 100 : 1;
  const digits = PERCENT_METRICS.has(row.metric) ? 2 : 4;
  const fmt = (x: number) => (scale === 1 ? x.toPrecision(digits) : (scale * x).toFixed(digits));
  return row.std === null ? fmt(row.mean) : `${fmt(row.mean)} ± ${fmt(row.std)}`;
}

/** A Markdown table: one row per (run, solution), one column per metric, mean ± std over seeds. */
export function formatRecipeTable(result: RecipeResult): string {
  const metrics = ['testError', 'testLoss', 'trainError', 'trainLoss', 'lambdaMax'].filter((m) => result.summary.some((r) => r.metric === m));
  const labels: Record<string, string> = {
    testError: 'test error (%)',
    testLoss: 'test loss',
    trainError: 'train error (%)',
    trainLoss: 'train loss',
    lambdaMax: 'lambda_max',
  };
  const rows = [...new Set(result.summary.map((r) => `${r.run}\u0000${r.solution}`))];
  const seeds = result.recipe.seeds.length;
  const scale = `Model ${result.recipe.model}, data ${result.recipe.data}, test data ${result.recipe.evalData}; ${seeds} seed${seeds === 1 ? '' : 's'} (${result.recipe.seeds.join(', ')}); mean ± sample std over seeds.`;
  const budgets = result.recipe.runs.filter((r) => r.budget !== undefined);
  const budgetLine = budgets.length
    ? `Budget 1 = ${result.recipe.train.epochs ?? runConfig(result.recipe, result.recipe.runs[0]!, 0).epochs} epochs; ${budgets.map((r) => `${r.name}: ${r.budget} budget${r.budget === 1 ? '' : 's'} = ${runConfig(result.recipe, r, 0).epochs} epochs`).join(', ')}.`
    : '';
  const lines = [
    `# ${result.recipe.name}`,
    '',
    ...(result.recipe.reproduces ? [`Reproduces: ${result.recipe.reproduces}`, ''] : []),
    ...(result.table ? [formatRecipeTableMarkdown(result.table, `Ours: ${scale}${budgetLine ? ` ${budgetLine}` : ''}`), '## All runs', ''] : []),
    scale,
    ...(budgetLine && !result.table ? [budgetLine] : []),
    '',
    `| run | solution | ${metrics.map((m) => labels[m]).join(' | ')} | time (s, all seeds: wall / cpu) |`,
    `|---|---|${metrics.map(() => '---').join('|')}|---|`,
  ];
  for (const key of rows) {
    const [run, solution] = key.split('\u0000') as [string, string];
    const byMetric = (m: string) => result.summary.find((r) => r.run === run && r.solution === solution && r.metric === m);
    lines.push(`| ${run} | ${solution} | ${metrics.map((m) => cell(byMetric(m))).join(' | ')} | ${(result.runSeconds[run] ?? 0).toFixed(0)} / ${(result.runCpuSeconds[run] ?? 0).toFixed(0)} |`);
  }
  lines.push('', `Total ${formatDuration(result.seconds)} wall clock, ${formatDuration(result.cpuSeconds)} CPU.`, '');
  return lines.join('\n');
}
