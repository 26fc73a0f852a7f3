import test from 'ava';
import { createRng } from '../../src/engine/rng.ts';
import { RunningAverage } from '../../src/training/swaAverage.ts';

test('the running average equals the exact mean of the averaged iterates', (t) => {
  const rng = createRng(3);
  const iterates = Array.from({ length: 37 }, () => Float32Array.from({ length: 11 }, () => rng.normal() * 10));
  const avg = new RunningAverage(11);
  for (const w of iterates) avg.update(w);
  t.is(avg.count, 37);
  const mean = avg.mean();
  for (let j = 0; j < 11; j++) {
    const exact = iterates.reduce((a, w) => a + w[j]!, 0) / iterates.length;
    t.true(Math.abs(mean[j]! - exact) < 1e-12, `coordinate ${j}`);
  }
});

test('resumes from a saved average and refuses mismatched sizes', (t) => {
  const a = new RunningAverage(2);
  a.update([1, 2]);
  a.update([3, 4]);
  const b = new RunningAverage(2, { values: a.mean(), count: a.count });
  a.update([5, 6]);
  b.update([5, 6]);
  t.deepEqual(Array.from(a.mean()), Array.from(b.mean()));
  t.deepEqual(Array.from(b.mean()), [3, 4]);
  t.throws(() => b.update([1]), { message: /1 values, expected 2/ });
});
