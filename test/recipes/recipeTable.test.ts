/**
 * The papers' tables as recipes: budgets give the stated epoch counts; the table's cells are
 * mean ± sample std over seeds of the named (run, solution), checked against an independent
 * computation over a fake set of run results; claims are decided from those cells; the
 * shipped CNN recipes validate and lay their table out like the paper's; bad layouts are
 * refused with one-line messages naming the key.
 */
import path from 'node:path';
import test from 'ava';
import { InputError } from '../../src/errors.ts';
import { RECIPE_SCHEMA, budgetEpochs, runConfig, validateRecipe, type Recipe } from '../../src/training/recipe.ts';
import { formatRecipeTable, loadRecipe, summarise, type RecipeResult, type RecipeRunResult } from '../../src/training/runRecipe.ts';
import { formatCell, formatRecipeTableMarkdown, recipeTable } from '../../src/report/recipeTable.ts';

const swaRecipe = {
  schema: RECIPE_SCHEMA,
  name: 'budgets',
  model: 'cnn',
  data: 'mnist:train:100',
  evalData: 'mnist:test:100',
  seeds: [0, 1, 2],
  train: { epochs: 8, batchSize: 50, lr: 0.05 },
  runs: [
    { name: 'sgd', train: { method: 'sgd' } },
    { name: 'fge', budget: 1, train: { method: 'fge', swaStart: 5, swaLr: 0.001, cycle: 2 } },
    { name: 'swa', budget: 1, train: { method: 'swa', swaStart: 5, swaLr: 0.01 } },
    { name: 'swa-125', budget: 1.25, train: { method: 'swa', swaStart: 5, swaLr: 0.01 } },
    { name: 'swa-150', budget: 1.5, train: { method: 'swa', swaStart: 5, swaLr: 0.01 } },
  ],
  table: {
    metric: 'testAccuracy',
    row: 'ours',
    columns: [
      { label: 'SGD', run: 'sgd', solution: 'final' },
      { label: 'FGE', run: 'fge', solution: 'ensemble' },
      { label: 'SWA 1', run: 'swa', solution: 'swa' },
      { label: 'SWA 1.25', run: 'swa-125', solution: 'swa' },
      { label: 'SWA 1.5', run: 'swa-150', solution: 'swa' },
    ],
    claims: [
      { better: 'SWA 1', than: 'SGD' },
      { better: 'FGE', than: 'SGD' },
    ],
    reference: { source: 'somewhere', rows: [{ label: 'VGG16', cells: ['1', '', '3', '4', '5'] }] },
  },
};

test('budgets give the stated epoch counts; swaStart is kept, so SWA averages longer', (t) => {
  const r = validateRecipe(swaRecipe, 'b.json');
  t.deepEqual(
    r.runs.map((x) => [x.name, runConfig(r, x, 0).epochs, runConfig(r, x, 0).cyclic?.start ?? null]),
    [
      ['sgd', 8, null],
      ['fge', 8, 5],
      ['swa', 8, 5],
      ['swa-125', 10, 5],
      ['swa-150', 12, 5],
    ],
  );
  t.is(budgetEpochs(8, 1.25), 10);
  t.is(budgetEpochs(10, 1.25), null, '12.5 epochs');
  t.is(budgetEpochs(200, 1.5), 300);
});

/** Three seeds of fake results: accuracies per (run, solution), chosen so that the arithmetic is checkable by hand. */
const ACC: Record<string, Record<string, number[]>> = {
  sgd: { final: [0.9, 0.92, 0.94] },
  fge: { final: [0.8, 0.8, 0.8], ensemble: [0.95, 0.93, 0.94] },
  swa: { swa: [0.91, 0.95, 0.96], sgdLast: [0.5, 0.5, 0.5] },
  'swa-125': { swa: [0.97, 0.97, 0.97] },
  'swa-150': { swa: [0.99, 0.96, 0.93] },
};

function fakeResults(): RecipeRunResult[] {
  const out: RecipeRunResult[] = [];
  for (const [run, sols] of Object.entries(ACC)) {
    for (let s = 0; s < 3; s++) {
      const solutions: RecipeRunResult['solutions'] = {};
      for (const [sol, accs] of Object.entries(sols)) solutions[sol] = { testAccuracy: accs[s]!, testError: 1 - accs[s]!, testLoss: 0.1 * s };
      out.push({ run, seed: s, outDir: `o/${run}/seed-${s}`, seconds: 1, cpuSeconds: 1, resumedFrom: 0, solutions });
    }
  }
  return out;
}

/** Independent: mean and n - 1 standard deviation written out for three numbers. */
function meanStd3([a, b, c]: number[]): [number, number] {
  const m = (a! + b! + c!) / 3;
  return [m, Math.sqrt(((a! - m) ** 2 + (b! - m) ** 2 + (c! - m) ** 2) / 2)];
}

test('each cell is 100 x the mean ± sample std over seeds of its (run, solution); claims follow the means', (t) => {
  const recipe = validateRecipe(swaRecipe, 'b.json');
  const table = recipeTable(recipe.table!, summarise(fakeResults()));
  const expected = [ACC['sgd']!['final']!, ACC['fge']!['ensemble']!, ACC['swa']!['swa']!, ACC['swa-125']!['swa']!, ACC['swa-150']!['swa']!];
  t.is(table.cells.length, 5);
  table.cells.forEach((c, i) => {
    const [m, s] = meanStd3(expected[i]!);
    t.is(c.n, 3);
    t.true(Math.abs(c.mean! - 100 * m) < 1e-9, `${c.label} mean ${c.mean} vs ${100 * m}`);
    t.true(Math.abs(c.std! - 100 * s) < 1e-9, `${c.label} std ${c.std} vs ${100 * s}`);
  });
  // By hand: SGD 92.00 ± 2.00, SWA 1 94.00 ± 2.65, SWA 1.25 97.00 ± 0.00.
  t.is(formatCell(table.cells[0]!), '92.00 ± 2.00');
  t.is(formatCell(table.cells[2]!), '94.00 ± 2.65');
  t.is(formatCell(table.cells[3]!), '97.00 ± 0.00');
  t.deepEqual(table.claims.map((c) => c.verdict), ['agrees', 'agrees']);
  const swa1 = table.claims[0]!;
  t.true(Math.abs(swa1.difference! - 2) < 1e-9);
  t.true(Math.abs(swa1.standardError! - Math.sqrt((4 + 7) / 3)) < 1e-9, 'sqrt(2^2/3 + sqrt(7)^2/3)');
  const md = formatRecipeTableMarkdown(table, 'scale');
  const lines = md.split('\n');
  t.true(lines.includes('| model | SGD | FGE | SWA 1 | SWA 1.25 | SWA 1.5 |'), md);
  t.true(lines.includes('| ours | 92.00 ± 2.00 | 94.00 ± 1.00 | 94.00 ± 2.65 | 97.00 ± 0.00 | 96.00 ± 3.00 |'), md);
  t.true(lines.includes('| VGG16 (paper) | 1 | — | 3 | 4 | 5 |'), 'the paper\'s row, an unquoted cell as —');
  t.regex(md, /Rows marked \(paper\) are the paper's numbers, not ours: somewhere/);
  t.regex(md, /The paper's claim SWA 1 > SGD \(test accuracy \(%\)\): agrees at this scale \(difference \+2\.00 points; within 2 standard errors \(1\.91\), so not resolved at this scale\)/);
});

test('an error table: lower is better; a missing run is n/a; one seed has no std', (t) => {
  const layout = {
    metric: 'testError' as const,
    row: 'r',
    columns: [
      { label: 'SGD', run: 'sgd', solution: 'final' },
      { label: 'SAM', run: 'sam', solution: 'final' },
    ],
    claims: [{ better: 'SAM', than: 'SGD' }],
  };
  const results = [
    { run: 'sgd', solutions: { final: { testError: 0.1 } } },
    { run: 'sam', solutions: { final: { testError: 0.12 } } },
  ];
  const one = recipeTable(layout, summarise(results));
  t.deepEqual(one.cells.map(formatCell), ['10.00', '12.00']);
  t.is(one.claims[0]!.verdict, 'disagrees');
  t.is(one.claims[0]!.standardError, null);
  const none = recipeTable(layout, summarise(results.slice(0, 1)));
  t.is(formatCell(none.cells[1]!), '—');
  t.is(none.claims[0]!.verdict, 'n/a');
});

test('results.md leads with the paper-layout table when the recipe has one', (t) => {
  const recipe = validateRecipe(swaRecipe, 'b.json');
  const results = fakeResults();
  const summary = summarise(results);
  const result: RecipeResult = {
    schema: 's',
    tool: 't',
    recipe,
    bn: 'eval',
    results,
    summary,
    runSeconds: {},
    runCpuSeconds: {},
    seconds: 1,
    cpuSeconds: 1,
    table: recipeTable(recipe.table!, summary),
  };
  const md = formatRecipeTable(result);
  t.true(md.indexOf('| model | SGD |') < md.indexOf('| run | solution |'));
  t.regex(md, /Budget 1 = 8 epochs; fge: 1 budget = 8 epochs, swa: 1 budget = 8 epochs, swa-125: 1\.25 budgets = 10 epochs, swa-150: 1\.5 budgets = 12 epochs\./);
});

test('the shipped CNN recipes: 3 seeds, the cnn (BatchNorm) model, tables laid out like the papers\' with quoted, labelled references', async (t) => {
  const sam = await loadRecipe(path.join('analyses', 'sam-vs-sgd-cnn.json'));
  const swa = await loadRecipe(path.join('analyses', 'swa-budgets-cnn.json'));
  for (const r of [sam, swa]) {
    t.is(r.model, 'cnn');
    t.is(r.seeds.length, 3);
    t.truthy(r.table?.reference);
    t.regex(r.reproduces!, /arXiv (2010\.01412|1803\.05407)/);
  }
  t.deepEqual(sam.table!.columns.map((c) => c.label), ['SGD error', 'SAM error']);
  t.is(sam.table!.metric, 'testError');
  t.deepEqual(swa.table!.columns.map((c) => c.label), ['SGD', 'FGE (1 budget)', 'SWA (1 budget)', 'SWA (1.25 budgets)', 'SWA (1.5 budgets)']);
  t.is(swa.table!.metric, 'testAccuracy');
  t.deepEqual(
    swa.table!.columns.map((c) => runConfig(swa, swa.runs.find((r) => r.name === c.run)!, 0).epochs),
    [8, 8, 8, 10, 12],
  );
  // The existing MLP recipes still load.
  for (const f of ['sam-vs-sgd.json', 'swa-vs-sgd-fge.json']) t.truthy(await loadRecipe(path.join('analyses', f)));
});

const withTable = (table: unknown): unknown => ({ ...swaRecipe, table });
const withRun = (run: unknown): unknown => ({ ...swaRecipe, table: undefined, runs: [run] });
const broken: [unknown, RegExp][] = [
  [withRun({ name: 'a', budget: 0 }), /runs\[0\]\.budget must be a number > 0, got 0/],
  [withRun({ name: 'a', budget: '1.5' }), /runs\[0\]\.budget must be a number > 0, got "1\.5"/],
  [withRun({ name: 'a', budget: 1.3 }), /runs\[0\]\.budget 1\.3 times 8 epochs is not a whole number of epochs/],
  [withRun({ name: 'a', budget: 1.5, train: { epochs: 3 } }), /runs\[0\] gives both "budget" and "train\.epochs"/],
  [withRun({ name: 'a', budget: 0.5, train: { method: 'swa', swaStart: 5, swaLr: 0.01 } }), /runs\[0\] \(a\): train: --swa-start must be before the last epoch .* for --epochs 4\), got 5/],
  [withTable([]), /"table" must be an object/],
  [withTable({ ...swaRecipe.table, metric: 'loss' }), /"table\.metric" must be one of testError, testAccuracy, got "loss"/],
  [withTable({ ...swaRecipe.table, layout: 1 }), /"table" has unknown key 'layout'/],
  [withTable({ ...swaRecipe.table, row: '' }), /"table\.row" must be a non-empty string/],
  [withTable({ ...swaRecipe.table, columns: [] }), /"table\.columns" must be a non-empty list/],
  [withTable({ ...swaRecipe.table, columns: [{ label: 'x', run: 'nope', solution: 'final' }] }), /"table\.columns\[0\]\.run" must name one of the runs \(sgd, fge, swa, swa-125, swa-150\), got "nope"/],
  [withTable({ ...swaRecipe.table, columns: [{ label: 'x', run: 'sgd', solution: 'swa' }] }), /"table\.columns\[0\]\.solution" must be one of final for run sgd \(method sgd\), got "swa"/],
  [withTable({ ...swaRecipe.table, claims: [{ better: 'SWA 9', than: 'SGD' }] }), /"table\.claims\[0\]\.better" must be a column label/],
  [withTable({ ...swaRecipe.table, claims: [{ better: 'SGD', than: 'SGD' }] }), /"table\.claims\[0\]" compares "SGD" with itself/],
  [withTable({ ...swaRecipe.table, reference: { source: 's', rows: [{ label: 'v', cells: ['1'] }] } }), /"table\.reference\.rows\[0\]\.cells" must be 5 strings \(one per column\)/],
  [withTable({ ...swaRecipe.table, reference: { rows: [] } }), /"table\.reference" must be \{"source": TEXT/],
];
for (const [value, message] of broken) {
  test(`a bad budget or table is refused in one line: ${message.source.slice(0, 60)}`, (t) => {
    const e = t.throws(() => validateRecipe(value, 'x.json'), { instanceOf: InputError, message })!;
    t.false(e.message.includes('\n'));
    t.true(e.message.startsWith('recipe x.json: '));
  });
}

test('a recipe without budgets or a table is unchanged (its runs keep their own epochs)', (t) => {
  const r: Recipe = validateRecipe({ ...swaRecipe, table: undefined, runs: [{ name: 'a', train: { epochs: 3 } }] }, 'y.json');
  t.is(runConfig(r, r.runs[0]!, 0).epochs, 3);
  t.is(r.table, undefined);
});
