/**
 * Analysis recipes (analyses/*.json): declarative small-scale reproductions of the papers'
 * tables. A recipe trains each run for each seed and scores every solution it produces.
 *
 * Schema `sharpness/recipe@1`:
 *
 *   {
 *     "schema": "sharpness/recipe@1",
 *     "name": "sam-vs-sgd",                    // [a-z0-9-]+, names the output directory
 *     "description": "...",                    // optional
 *     "reproduces": "Foret et al. 2021, ...",  // optional
 *     "model": "mlp",                          // mlp | cnn | resnet | a model.json path
 *     "data": "mnist:train:5000",              // training data spec
 *     "evalData": "mnist:test:2000",           // test data spec (scores and errors)
 *     "seeds": [0, 1, 2],                      // distinct integers >= 0; each seeds init and shuffling
 *     "train": { "epochs": 10, "lr": 0.05 },   // options common to every run (TrainOptions,
 *                                              //   the CLI's flags in camelCase, no seed)
 *     "runs": [                                // at least one; names unique
 *       { "name": "sgd", "train": { "method": "sgd" } },
 *       { "name": "sam", "train": { "method": "sam", "rho": 0.05 } },
 *       { "name": "swa-1.5", "budget": 1.5,    // optional: trains budget x train.epochs epochs
 *         "train": { "method": "swa", ... } }  //   (a whole number; no "epochs" of its own)
 *     ],
 *     "measures": {                            // optional
 *       "lambdaMax": { "data": "mnist:train:1000", "maxIter": 100, "tol": 0.001 }
 *     }                                        // top Hessian eigenvalue of every checkpoint
 *                                              //   solution (BN in inference mode, Lanczos)
 *     "table": {                               // optional: the paper's table layout (report/recipeTable.ts)
 *       "title": "Table 1 ...",                // optional
 *       "metric": "testError",                 // testError | testAccuracy (in %, mean ± std over seeds)
 *       "row": "CNN-BN, MNIST 2,000 (ours)",   // our row's label
 *       "columns": [                           // at least one; labels unique
 *         { "label": "SGD", "run": "sgd", "solution": "final" },
 *         { "label": "SAM", "run": "sam", "solution": "final" }
 *       ],                                     // solution: final (sgd, sam, fge), swa and sgdLast (swa),
 *                                              //   ensemble (fge)
 *       "claims": [{ "better": "SAM", "than": "SGD" }],   // optional: column labels; checked on our row
 *       "reference": {                         // optional: the paper's numbers, quoted as text
 *         "source": "where they are from",
 *         "rows": [{ "label": "WRN-28-10 (CIFAR-10)", "cells": ["3.5 ± 0.1", "2.7 ± 0.1"] }]
 *       }                                      //   (one cell per column; "" where not quoted)
 *     }
 *   }
 */
import { InputError } from '../errors.ts';
import { parseJsonText } from '../io/parseJsonText.ts';
import { TRAIN_DEFAULTS, TRAIN_OPTION_KEYS, resolveTrainConfig, type TrainConfig, type TrainOptions } from './trainConfig.ts';
import { TABLE_METRICS, type RecipeTableLayout } from '../report/recipeTable.ts';

export const RECIPE_SCHEMA = 'sharpness/recipe@1';

export interface RecipeRun {
  name: string;
  train: TrainOptions;
  /** Training length as a multiple of the recipe's epochs (Izmailov et al.'s budgets); 1 when absent. */
  budget?: number;
}

/** Which solutions each method's run reports (runTraining's names; swa's final is its swa). */
export const SOLUTIONS_OF: Record<string, readonly string[]> = {
  sgd: ['final'],
  sam: ['final'],
  swa: ['swa', 'sgdLast'],
  fge: ['final', 'ensemble'],
};

export interface Recipe {
  schema: typeof RECIPE_SCHEMA;
  name: string;
  description?: string;
  reproduces?: string;
  model: string;
  data: string;
  evalData: string;
  seeds: number[];
  train: TrainOptions;
  runs: RecipeRun[];
  measures?: { lambdaMax?: { data: string; maxIter?: number; tol?: number } };
  table?: RecipeTableLayout;
}

const TOP_KEYS = ['schema', 'name', 'description', 'reproduces', 'model', 'data', 'evalData', 'seeds', 'train', 'runs', 'measures', 'table'];

/** Epochs of a run with `budget` times `epochs`; null when that is not a whole number. */
export function budgetEpochs(epochs: number, budget: number): number | null {
  const e = budget * epochs;
  const r = Math.round(e);
  return Math.abs(e - r) <= 1e-9 * Math.max(1, e) && r >= 1 ? r : null;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function show(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Validates a parsed recipe; `where` names it (its path) in every message. */
export function validateRecipe(value: unknown, where: string): Recipe {
  const bad = (msg: string): never => {
    throw new InputError(`recipe ${where}: ${msg}`);
  };
  if (!isObject(value)) bad(`must be a JSON object, got ${show(value)}`);
  const v = value as Record<string, unknown>;
  const unknownKey = Object.keys(v).find((k) => !TOP_KEYS.includes(k));
  if (unknownKey) bad(`has unknown key '${unknownKey}'; known keys: ${TOP_KEYS.join(', ')}`);
  if (v['schema'] !== RECIPE_SCHEMA) bad(`"schema" must be "${RECIPE_SCHEMA}", got ${show(v['schema'])}`);
  for (const k of ['name', 'model', 'data', 'evalData'] as const) {
    if (typeof v[k] !== 'string' || v[k] === '') bad(`"${k}" must be a non-empty string, got ${show(v[k])}`);
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(v['name'] as string)) bad(`"name" must be lowercase letters, digits and dashes, got ${show(v['name'])}`);
  for (const k of ['description', 'reproduces'] as const) {
    if (v[k] !== undefined && typeof v[k] !== 'string') bad(`"${k}" must be a string, got ${show(v[k])}`);
  }
  const seeds = v['seeds'];
  if (!Array.isArray(seeds) || seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || (s as number) < 0 || (s as number) > 0xffffffff)) {
    bad(`"seeds" must be a non-empty list of integers >= 0, got ${show(seeds)}`);
  }
  if (new Set(seeds as number[]).size !== (seeds as number[]).length) bad(`"seeds" has duplicates: ${show(seeds)}`);
  const checkTrain = (x: unknown, at: string): TrainOptions => {
    if (x === undefined) return {};
    if (!isObject(x)) bad(`${at} must be an object of training options, got ${show(x)}`);
    const k = Object.keys(x as object).find((key) => !(TRAIN_OPTION_KEYS as readonly string[]).includes(key) || key === 'seed');
    if (k) bad(`${at} has unknown training option '${k}'${k === 'seed' ? ' (seeds come from "seeds")' : ''}; known: ${TRAIN_OPTION_KEYS.filter((o) => o !== 'seed').join(', ')}`);
    return x as TrainOptions;
  };
  const train = checkTrain(v['train'], '"train"');
  const runs = v['runs'];
  if (!Array.isArray(runs) || runs.length === 0) bad(`"runs" must be a non-empty list, got ${show(runs)}`);
  const names = new Set<string>();
  const checkedRuns = (runs as unknown[]).map((r, i) => {
    if (!isObject(r)) bad(`runs[${i}] must be an object with "name" and "train", got ${show(r)}`);
    const o = r as Record<string, unknown>;
    const extra = Object.keys(o).find((k) => k !== 'name' && k !== 'train' && k !== 'budget');
    if (extra) bad(`runs[${i}] has unknown key '${extra}'; known keys: name, train, budget`);
    if (typeof o['name'] !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(o['name'])) {
      bad(`runs[${i}].name must be lowercase letters, digits and dashes, got ${show(o['name'])}`);
    }
    if (names.has(o['name'] as string)) bad(`runs[${i}].name ${show(o['name'])} is used twice`);
    names.add(o['name'] as string);
    const t = checkTrain(o['train'], `runs[${i}].train`);
    const budget = o['budget'];
    let epochs: number | undefined;
    if (budget !== undefined) {
      if (typeof budget !== 'number' || !Number.isFinite(budget) || budget <= 0) bad(`runs[${i}].budget must be a number > 0, got ${show(budget)}`);
      if (t.epochs !== undefined) bad(`runs[${i}] gives both "budget" and "train.epochs"; a budget is a multiple of the recipe's "train.epochs", so give one of them`);
      const base = train.epochs ?? TRAIN_DEFAULTS.epochs;
      const e = typeof base === 'number' ? budgetEpochs(base, budget as number) : null;
      if (e === null) bad(`runs[${i}].budget ${show(budget)} times ${show(base)} epochs is not a whole number of epochs; choose "train.epochs" so that it is`);
      epochs = e!;
    }
    // The merged options must make a valid configuration (messages name the option).
    try {
      resolveTrainConfig({ ...train, ...t, ...(epochs !== undefined ? { epochs } : {}) });
    } catch (e) {
      bad(`runs[${i}] (${o['name'] as string}): ${(e as Error).message}`);
    }
    return { name: o['name'] as string, train: t, ...(budget !== undefined ? { budget: budget as number } : {}) };
  });
  let measures: Recipe['measures'];
  if (v['measures'] !== undefined) {
    if (!isObject(v['measures'])) bad(`"measures" must be an object, got ${show(v['measures'])}`);
    const m = v['measures'] as Record<string, unknown>;
    const k = Object.keys(m).find((key) => key !== 'lambdaMax');
    if (k) bad(`"measures" has unknown measure '${k}'; known: lambdaMax`);
    if (m['lambdaMax'] !== undefined) {
      const l = m['lambdaMax'];
      if (!isObject(l) || typeof l['data'] !== 'string') bad(`"measures.lambdaMax" must be {"data": SPEC, "maxIter"?: N, "tol"?: X}, got ${show(l)}`);
      const lm = l as Record<string, unknown>;
      const extra = Object.keys(lm).find((key) => !['data', 'maxIter', 'tol'].includes(key));
      if (extra) bad(`"measures.lambdaMax" has unknown key '${extra}'; known: data, maxIter, tol`);
      if (lm['maxIter'] !== undefined && (!Number.isInteger(lm['maxIter']) || (lm['maxIter'] as number) < 1)) bad(`"measures.lambdaMax.maxIter" must be an integer >= 1, got ${show(lm['maxIter'])}`);
      if (lm['tol'] !== undefined && (typeof lm['tol'] !== 'number' || !(lm['tol'] > 0))) bad(`"measures.lambdaMax.tol" must be a number > 0, got ${show(lm['tol'])}`);
      measures = { lambdaMax: lm as { data: string; maxIter?: number; tol?: number } };
    } else measures = {};
  }
  const recipe: Recipe = {
    schema: RECIPE_SCHEMA,
    name: v['name'] as string,
    model: v['model'] as string,
    data: v['data'] as string,
    evalData: v['evalData'] as string,
    seeds: seeds as number[],
    train,
    runs: checkedRuns,
  };
  if (typeof v['description'] === 'string') recipe.description = v['description'];
  if (typeof v['reproduces'] === 'string') recipe.reproduces = v['reproduces'];
  if (measures) recipe.measures = measures;
  if (v['table'] !== undefined) recipe.table = validateTable(v['table'], recipe, bad);
  return recipe;
}

const TABLE_KEYS = ['title', 'metric', 'row', 'columns', 'claims', 'reference'];

function validateTable(x: unknown, recipe: Recipe, bad: (msg: string) => never): RecipeTableLayout {
  if (!isObject(x)) bad(`"table" must be an object {"metric", "row", "columns", ...}, got ${show(x)}`);
  const t = x as Record<string, unknown>;
  const k = Object.keys(t).find((key) => !TABLE_KEYS.includes(key));
  if (k) bad(`"table" has unknown key '${k}'; known keys: ${TABLE_KEYS.join(', ')}`);
  if (!(TABLE_METRICS as readonly unknown[]).includes(t['metric'])) bad(`"table.metric" must be one of ${TABLE_METRICS.join(', ')}, got ${show(t['metric'])}`);
  for (const key of ['row', 'title'] as const) {
    if ((key === 'row' || t[key] !== undefined) && (typeof t[key] !== 'string' || t[key] === '')) bad(`"table.${key}" must be a non-empty string, got ${show(t[key])}`);
  }
  const cols = t['columns'];
  if (!Array.isArray(cols) || cols.length === 0) bad(`"table.columns" must be a non-empty list of {"label", "run", "solution"}, got ${show(cols)}`);
  const labels: string[] = [];
  const columns = (cols as unknown[]).map((c, i) => {
    const at = `table.columns[${i}]`;
    if (!isObject(c)) bad(`"${at}" must be {"label", "run", "solution"}, got ${show(c)}`);
    const o = c as Record<string, unknown>;
    const extra = Object.keys(o).find((key) => !['label', 'run', 'solution'].includes(key));
    if (extra) bad(`"${at}" has unknown key '${extra}'; known keys: label, run, solution`);
    if (typeof o['label'] !== 'string' || o['label'] === '') bad(`"${at}.label" must be a non-empty string, got ${show(o['label'])}`);
    if (labels.includes(o['label'] as string)) bad(`"${at}.label" ${show(o['label'])} is used twice`);
    labels.push(o['label'] as string);
    const run = recipe.runs.find((r) => r.name === o['run']);
    if (!run) bad(`"${at}.run" must name one of the runs (${recipe.runs.map((r) => r.name).join(', ')}), got ${show(o['run'])}`);
    const method = runConfig(recipe, run!, 0).method;
    const known = SOLUTIONS_OF[method] ?? ['final'];
    if (!known.includes(o['solution'] as string)) bad(`"${at}.solution" must be one of ${known.join(', ')} for run ${run!.name} (method ${method}), got ${show(o['solution'])}`);
    return { label: o['label'] as string, run: run!.name, solution: o['solution'] as string };
  });
  const out: RecipeTableLayout = { metric: t['metric'] as RecipeTableLayout['metric'], row: t['row'] as string, columns };
  if (typeof t['title'] === 'string') out.title = t['title'];
  if (t['claims'] !== undefined) {
    if (!Array.isArray(t['claims'])) bad(`"table.claims" must be a list of {"better": LABEL, "than": LABEL}, got ${show(t['claims'])}`);
    out.claims = (t['claims'] as unknown[]).map((c, i) => {
      const o = (isObject(c) ? c : {}) as Record<string, unknown>;
      if (!isObject(c) || Object.keys(o).some((key) => key !== 'better' && key !== 'than')) bad(`"table.claims[${i}]" must be {"better": LABEL, "than": LABEL}, got ${show(c)}`);
      for (const key of ['better', 'than'] as const) {
        if (!labels.includes(o[key] as string)) bad(`"table.claims[${i}].${key}" must be a column label (${labels.join(', ')}), got ${show(o[key])}`);
      }
      if (o['better'] === o['than']) bad(`"table.claims[${i}]" compares ${show(o['better'])} with itself`);
      return { better: o['better'] as string, than: o['than'] as string };
    });
  }
  if (t['reference'] !== undefined) {
    const r = t['reference'];
    if (!isObject(r) || typeof r['source'] !== 'string' || r['source'] === '' || !Array.isArray(r['rows'])) {
      bad(`"table.reference" must be {"source": TEXT, "rows": [{"label", "cells"}]}, got ${show(r)}`);
    }
    const ro = r as Record<string, unknown>;
    const extra = Object.keys(ro).find((key) => key !== 'source' && key !== 'rows');
    if (extra) bad(`"table.reference" has unknown key '${extra}'; known keys: source, rows`);
    const rows = (ro['rows'] as unknown[]).map((row, i) => {
      const o = (isObject(row) ? row : {}) as Record<string, unknown>;
      const cells = o['cells'];
      if (!isObject(row) || typeof o['label'] !== 'string' || o['label'] === '' || !Array.isArray(cells) || Object.keys(o).some((key) => key !== 'label' && key !== 'cells')) {
        bad(`"table.reference.rows[${i}]" must be {"label": TEXT, "cells": [TEXT, ...]}, got ${show(row)}`);
      }
      if ((cells as unknown[]).length !== columns.length || (cells as unknown[]).some((c) => typeof c !== 'string')) {
        bad(`"table.reference.rows[${i}].cells" must be ${columns.length} strings (one per column), got ${show(cells)}`);
      }
      return { label: o['label'] as string, cells: cells as string[] };
    });
    out.reference = { source: ro['source'] as string, rows };
  }
  return out;
}

/** The epochs a run trains: its budget times the recipe's epochs, or its own. */
export function runEpochs(recipe: Recipe, run: RecipeRun): number | undefined {
  if (run.budget === undefined) return run.train.epochs ?? recipe.train.epochs;
  return budgetEpochs(recipe.train.epochs ?? TRAIN_DEFAULTS.epochs, run.budget)!;
}

/** The resolved configuration of one run for one seed. */
export function runConfig(recipe: Recipe, run: RecipeRun, seed: number): TrainConfig {
  const epochs = runEpochs(recipe, run);
  return resolveTrainConfig({ ...recipe.train, ...run.train, ...(epochs !== undefined ? { epochs } : {}), seed });
}

/** Parses recipe text (JSON). */
export function parseRecipe(text: string, where: string): Recipe {
  // Depth-bounded: a recipe nesting thousands of levels is refused, not walked.
  return validateRecipe(parseJsonText(text, where, 'recipe '), where);
}
