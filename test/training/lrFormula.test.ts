/**
 * --schedule as a formula (mathjs's parser): typed as formulas, the lecture's cyclic rate
 * a(i) = (1 - t(i)) a1 + t(i) a2, t(i) = (mod(i - 1, c) + 1) / c, and the cosine schedule give
 * exactly (===) the built-in schedules' learning rates; the variables mean what the README
 * says; unknown names, forbidden functions, syntax errors and values that are not finite
 * numbers >= 0 are one-line UsageErrors naming --schedule (and the iteration).
 */
import test from 'ava';
import { UsageError } from '../../src/errors.ts';
import { compileLrFormula, looksLikeFormula } from '../../src/training/lrFormula.ts';
import { lrSequence } from '../../src/training/schedules.ts';
import { hyperparameters, lrPlanFor, resolveTrainConfig } from '../../src/training/trainConfig.ts';

const N = 100; // samples; batch size 10: 10 iterations per epoch

test("the lecture's cyclic rate typed as a formula is exactly the built-in swa / fge schedule", (t) => {
  for (const [a1, a2, c] of [
    [0.05, 0.001, 7],
    [0.1, 0.01, 1],
    [0.03, 0.0005, 10],
  ] as const) {
    const builtin = resolveTrainConfig({ method: 'fge', epochs: 6, batchSize: 10, lr: a1, swaLr: a2, swaStart: 0, cycle: c });
    const formula = resolveTrainConfig({ epochs: 6, batchSize: 10, lr: a1, schedule: `t = (mod(i - 1, ${c}) + 1) / ${c}; (1 - t) * ${a1} + t * ${a2}` });
    t.is(formula.schedule, 'formula');
    const expected = lrSequence(lrPlanFor(builtin, N));
    const got = lrSequence(lrPlanFor(formula, N));
    t.is(got.length, 60);
    t.deepEqual(got, expected, `a1 ${a1}, a2 ${a2}, c ${c}`);
    // spot check against the closed form
    t.is(got[c - 1], a2);
  }
});

test('cosine typed as a formula (pi (i - 1) / total) is exactly the built-in cosine schedule', (t) => {
  const builtin = resolveTrainConfig({ epochs: 4, batchSize: 10, lr: 0.1, schedule: 'cosine', lrFinal: 0.01 });
  const formula = resolveTrainConfig({ epochs: 4, batchSize: 10, lr: 0.1, schedule: '0.01 + (lr - 0.01) * (1 + cos(pi * (i - 1) / total)) / 2' });
  t.deepEqual(lrSequence(lrPlanFor(formula, N)), lrSequence(lrPlanFor(builtin, N)));
});

test('the variables: i from 1, epoch = ceil(i / iters), frac = (i - 1) / total, total, iters, lr', (t) => {
  const config = resolveTrainConfig({ epochs: 3, batchSize: 10, lr: 0.2, schedule: 'i' });
  t.deepEqual(lrSequence(lrPlanFor(config, N)), Array.from({ length: 30 }, (_, k) => k + 1));
  const epochs = lrSequence(lrPlanFor({ ...config, lrFormula: compileLrFormula('epoch') }, N));
  t.deepEqual(epochs, Array.from({ length: 30 }, (_, k) => Math.floor(k / 10) + 1));
  const frac = lrSequence(lrPlanFor({ ...config, lrFormula: compileLrFormula('frac') }, N));
  t.deepEqual(frac, Array.from({ length: 30 }, (_, k) => k / 30));
  const misc = lrSequence(lrPlanFor({ ...config, lrFormula: compileLrFormula('total + 100 iters + 1000 lr') }, N));
  t.true(misc.every((x) => Math.abs(x - (30 + 1000 + 200)) < 1e-9));
  // step decay by epoch
  const step = lrSequence(lrPlanFor({ ...config, lrFormula: compileLrFormula('lr * 0.5 ^ floor((epoch - 1) / 2)') }, N));
  t.deepEqual(step, [...Array(20).fill(0.2), ...Array(10).fill(0.1)]);
  // swa: the formula is the base schedule before the cyclic phase; total is that horizon
  const swa = resolveTrainConfig({ method: 'swa', epochs: 4, batchSize: 10, lr: 0.1, swaLr: 0.01, swaStart: 2, schedule: 'frac' });
  const seq = lrSequence(lrPlanFor(swa, N));
  t.deepEqual(seq.slice(0, 20), Array.from({ length: 20 }, (_, k) => k / 20));
  t.deepEqual(seq.slice(20), Array(20).fill(0.01));
});

test('the formula is recorded as typed', (t) => {
  const text = 'lr / (1 + 0.01 i)';
  t.is(hyperparameters(resolveTrainConfig({ schedule: text })).schedule, text);
  t.is(hyperparameters(resolveTrainConfig({ schedule: 'cosine' })).schedule, 'cosine');
});

test('errors: unknown symbols and functions, syntax, forbidden expressions, non-finite or negative values', (t) => {
  const bad: [string, RegExp][] = [
    ['cosin', /--schedule must be one of constant, step, cosine, linear or a formula in i, epoch, frac, total, iters, lr, got cosin/],
    ['lr * decay', /unknown symbol decay \(the variables are i, epoch, frac, total, iters, lr/],
    ['lr * foo(i)', /unknown function foo\(\)/],
    ['evaluate("1")', /unknown function evaluate\(\)/],
    ['import({}, {})', /unknown function import\(\)/],
    ['lr *', /does not parse/],
    ['"0.1"', /only numbers are allowed as constants/],
    ['[lr, lr]', /array expressions are not allowed/],
    ['f(x) = x; f(lr)', /functionassignment expressions are not allowed/],
    ['', /a schedule name or a formula, got an empty string/],
  ];
  for (const [formula, message] of bad) {
    t.throws(() => resolveTrainConfig({ schedule: formula }), { instanceOf: UsageError, message }, formula);
  }
  // values are checked over the whole horizon when the plan is made, naming the iteration
  const values: [string, RegExp][] = [
    ['lr / abs(i - 3)', /gives Infinity at iteration 3 \(epoch 1\); a learning rate must be a finite number >= 0/],
    ['lr - 0.01 i', /gives -0\.0\d+ at iteration 6 \(epoch 1\)/],
    ['sqrt(5 - i)', /at iteration 6 \(epoch 1\)/],
    ['t = 1;', /gives nothing at iteration 1/],
  ];
  for (const [formula, message] of values) {
    const config = resolveTrainConfig({ epochs: 2, batchSize: 10, schedule: formula });
    t.throws(() => lrPlanFor(config, N), { instanceOf: UsageError, message }, formula);
  }
  t.true(looksLikeFormula('lr * 2'));
  t.false(looksLikeFormula('cosine'));
});
