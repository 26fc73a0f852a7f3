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
 *       { "name": "sam", "train": { "method": "sam", "rho": 0.05 } }
 *     ],
 *     "measures": {                            // optional
 *       "lambdaMax": { "data": "mnist:train:1000", "maxIter": 100, "tol": 0.001 }
 *     }                                        // top Hessian eigenvalue of every checkpoint
 *   }                                          //   solution (BN in inference mode, Lanczos)
 */
import { InputError } from '../errors.ts';
import { parseJsonText } from '../io/parseJsonText.ts';
import { TRAIN_OPTION_KEYS, resolveTrainConfig, type TrainConfig, type TrainOptions } from './trainConfig.ts';

export const RECIPE_SCHEMA = 'sharpness/recipe@1';

export interface RecipeRun {
  name: string;
  train: TrainOptions;
}

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
}

const TOP_KEYS = ['schema', 'name', 'description', 'reproduces', 'model', 'data', 'evalData', 'seeds', 'train', 'runs', 'measures'];

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
    const extra = Object.keys(o).find((k) => k !== 'name' && k !== 'train');
    if (extra) bad(`runs[${i}] has unknown key '${extra}'; known keys: name, train`);
    if (typeof o['name'] !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(o['name'])) {
      bad(`runs[${i}].name must be lowercase letters, digits and dashes, got ${show(o['name'])}`);
    }
    if (names.has(o['name'] as string)) bad(`runs[${i}].name ${show(o['name'])} is used twice`);
    names.add(o['name'] as string);
    const t = checkTrain(o['train'], `runs[${i}].train`);
    // The merged options must make a valid configuration (messages name the option).
    try {
      resolveTrainConfig({ ...train, ...t });
    } catch (e) {
      bad(`runs[${i}] (${o['name'] as string}): ${(e as Error).message}`);
    }
    return { name: o['name'] as string, train: t };
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
  return recipe;
}

/** The resolved configuration of one run for one seed. */
export function runConfig(recipe: Recipe, run: RecipeRun, seed: number): TrainConfig {
  return resolveTrainConfig({ ...recipe.train, ...run.train, seed });
}

/** Parses recipe text (JSON). */
export function parseRecipe(text: string, where: string): Recipe {
  // Depth-bounded: a recipe nesting thousands of levels is refused, not walked.
  return validateRecipe(parseJsonText(text, where, 'recipe '), where);
}
