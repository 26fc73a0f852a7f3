import test from 'ava';
import { createRng, validateSeed } from '../../src/engine/rng.ts';
import { UsageError } from '../../src/errors.ts';

test('same seed, same stream; forks are reproducible and independent of the parent draws', (t) => {
  const a = createRng(42);
  const b = createRng(42);
  const xs = Array.from({ length: 5 }, () => a.normal());
  t.deepEqual(xs, Array.from({ length: 5 }, () => b.normal()));
  const f1 = createRng(42).fork(7);
  const parent = createRng(42);
  parent.uniform();
  const f2 = parent.fork(7);
  t.deepEqual(
    Array.from({ length: 5 }, () => f1.uniform()),
    Array.from({ length: 5 }, () => f2.uniform()),
  );
  t.notDeepEqual(
    Array.from({ length: 5 }, () => createRng(42).fork(1).uniform()),
    Array.from({ length: 5 }, () => createRng(42).fork(2).uniform()),
  );
});

test('uniform in [0,1), int in range inclusive, sign is +-1', (t) => {
  const r = createRng(1);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) {
    const u = r.uniform();
    t.true(u >= 0 && u < 1);
    counts[r.int(0, 2)]!++;
    t.true([1, -1].includes(r.sign()));
  }
  // each bucket expects 1000 with sd ~26; 5 sigma band
  for (const c of counts) t.true(Math.abs(c - 1000) < 130, `${counts}`);
});

test('bad seeds are usage errors naming --seed and the value', (t) => {
  for (const s of [-1, 1.5, NaN, 2 ** 32, '3']) {
    const e = t.throws(() => validateSeed(s), { instanceOf: UsageError });
    t.regex(e!.message, /--seed must be an integer/);
  }
});
