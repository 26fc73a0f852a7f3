/**
 * --batch-size auto: chunks whose largest activation is about 8 MB, in steps of 50 between
 * 50 and 1000 samples, and an objective built with 'auto' computes exactly what it computes
 * with that number given.
 */
import test from 'ava';
import { tfl } from '../../src/engine/tf.ts';
import { chunkSizeFor, largestActivation, resolveBatchSize } from '../../src/objective/objectiveDefaults.ts';
import { createModelObjective, validateBatchSize } from '../../src/objective/modelObjective.ts';
import { Loss } from '../../src/objective/losses.ts';
import { generateSynthetic } from '../../src/io/synthetic.ts';
import { UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';

const L = tfl.layers;

test.before(async () => {
  await useBackend('cpu');
});

test('the chunk follows the largest activation: 8 MiB / (4 bytes x floats per sample), floored to 50, within [50, 1000]', (t) => {
  const mlp = tfl.sequential({ layers: [L.flatten({ inputShape: [28, 28, 1] }), L.dense({ units: 128 }), L.dense({ units: 10 })] });
  t.is(largestActivation(mlp), 784);
  t.is(chunkSizeFor(mlp), 1000); // 2674 capped
  const conv = (filters: number) =>
    tfl.sequential({ layers: [L.conv2d({ inputShape: [28, 28, 1], filters, kernelSize: 3, padding: 'same' }), L.flatten(), L.dense({ units: 10 })] });
  const c8 = conv(8);
  t.is(largestActivation(c8), 28 * 28 * 8);
  t.is(chunkSizeFor(c8), 300); // 8388608 / 25088 = 334.4
  const c64 = conv(64);
  t.is(chunkSizeFor(c64), 50); // 41.8, raised to the minimum
  t.is(resolveBatchSize('auto', c8), 300);
  t.is(resolveBatchSize(7, c8), 7);
  for (const m of [mlp, c8, c64]) m.dispose();
});

test("--batch-size takes an integer >= 1 or 'auto'", (t) => {
  t.is(validateBatchSize('auto'), 'auto');
  t.is(validateBatchSize(250), 250);
  t.is(validateBatchSize('250'), 250);
  for (const bad of [0, -3, 2.5, 'big', '', null]) {
    t.throws(() => validateBatchSize(bad), { instanceOf: UsageError, message: /--batch-size must be an integer >= 1 or auto, got / });
  }
});

test("an objective with batchSize 'auto' equals one with the chunk it resolves to, bit for bit", async (t) => {
  const data = generateSynthetic('blobs', 700, 3);
  const model = tfl.sequential({ layers: [L.dense({ units: 20000, inputShape: [2], activation: 'tanh' }), L.dense({ units: 3 })] });
  const chunk = chunkSizeFor(model);
  t.is(chunk, 100); // 8388608 / 80000 = 104.9
  const auto = await createModelObjective(model, data, { loss: Loss.ce, batchSize: 'auto' });
  const fixed = await createModelObjective(model, data, { loss: Loss.ce, batchSize: chunk });
  const other = await createModelObjective(model, data, { loss: Loss.ce, batchSize: 700 });
  t.true(Object.is(auto.loss(auto.params), fixed.loss(fixed.params)));
  t.true(Math.abs(auto.loss(auto.params) - other.loss(other.params)) < 1e-5);
  for (const o of [auto, fixed, other]) o.dispose();
  model.dispose();
});
