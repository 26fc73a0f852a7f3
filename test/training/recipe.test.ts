import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { parseRecipe, validateRecipe, RECIPE_SCHEMA } from '../../src/training/recipe.ts';
import { formatRecipeTable, loadRecipe, runRecipe } from '../../src/training/runRecipe.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

const valid = {
  schema: RECIPE_SCHEMA,
  name: 'tiny',
  model: 'mlp',
  data: 'mnist:train:200',
  evalData: 'mnist:test:100',
  seeds: [0, 1],
  train: { epochs: 1, batchSize: 50 },
  runs: [
    { name: 'sgd', train: { method: 'sgd' } },
    { name: 'swa', train: { method: 'swa', swaStart: 0, swaLr: 0.01, cycle: 2 } },
  ],
  measures: { lambdaMax: { data: 'mnist:train:50', maxIter: 10 } },
};

test('the shipped recipes are valid and use at least 3 seeds', async (t) => {
  for (const f of ['sam-vs-sgd.json', 'swa-vs-sgd-fge.json']) {
    const r = await loadRecipe(path.join('analyses', f));
    t.true(r.seeds.length >= 3, f);
  }
});

const broken: [unknown, RegExp][] = [
  [[], /recipe x\.json: must be a JSON object/],
  [{ ...valid, schema: 'v0' }, /"schema" must be "sharpness\/recipe@1", got "v0"/],
  [{ ...valid, extra: 1 }, /unknown key 'extra'/],
  [{ ...valid, seeds: [] }, /"seeds" must be a non-empty list of integers >= 0/],
  [{ ...valid, seeds: [1, 1] }, /"seeds" has duplicates/],
  [{ ...valid, train: { lr: 0.1, seed: 3 } }, /"train" has unknown training option 'seed' \(seeds come from "seeds"\)/],
  [{ ...valid, train: { rh0: 0.1 } }, /"train" has unknown training option 'rh0'/],
  [{ ...valid, runs: [{ name: 'a', train: { method: 'sam', p: 1 } }] }, /runs\[0\] \(a\): train: --p must be a number > 1 or inf, got 1/],
  [{ ...valid, runs: [{ name: 'a' }, { name: 'a' }] }, /runs\[1\]\.name "a" is used twice/],
  [{ ...valid, runs: [{ name: 'A b' }] }, /runs\[0\]\.name must be lowercase/],
  [{ ...valid, measures: { flatness: {} } }, /unknown measure 'flatness'; known: lambdaMax/],
];
for (const [value, message] of broken) {
  test(`invalid recipe refused with a clear message: ${message.source.slice(0, 50)}`, (t) => {
    t.throws(() => validateRecipe(value, 'x.json'), { message });
  });
}
test('invalid JSON is refused naming the file', (t) => {
  t.throws(() => parseRecipe('{', 'y.json'), { message: /recipe y\.json is not valid JSON/ });
});

test('a tiny recipe runs: every run and seed, solutions scored, lambda_max measured, mean +- std summarised; a rerun resumes', async (t) => {
  await useBackend('wasm');
  const out = await tempDir('sharpness-recipe-');
  const recipe = validateRecipe(valid, 'tiny');
  const r = await runRecipe(recipe, { outDir: out });
  t.is(r.results.length, 4);
  t.deepEqual(r.results.map((x) => `${x.run}/${x.seed}`), ['sgd/0', 'sgd/1', 'swa/0', 'swa/1']);
  t.deepEqual(Object.keys(r.results[2]!.solutions).sort(), ['sgdLast', 'swa']);
  for (const x of r.results) for (const s of Object.values(x.solutions)) t.true(typeof s['lambdaMax'] === 'number' && s['lambdaMax']! > 0);
  const row = r.summary.find((s) => s.run === 'sgd' && s.solution === 'final' && s.metric === 'testError')!;
  t.is(row.n, 2);
  const [a, b] = row.values as [number, number];
  t.true(Math.abs(row.mean - (a + b) / 2) < 1e-12);
  t.true(Math.abs(row.std! - Math.abs(a - b) / Math.SQRT2) < 1e-12);
  const md = await readFile(path.join(out, 'results.md'), 'utf8');
  t.is(md, formatRecipeTable(r));
  t.regex(md, /\| sgd \| final \| \d+\.\d\d ± \d+\.\d\d \|/);
  t.deepEqual(JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')).summary, JSON.parse(JSON.stringify(r.summary)));
  const again = await runRecipe(recipe, { outDir: out });
  t.true(again.results.every((x) => x.resumedFrom === 1));
  t.deepEqual(again.summary, r.summary);
});
