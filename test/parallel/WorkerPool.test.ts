/**
 * The worker pool: every item computed on worker threads equals the same item computed in
 * this thread, bit for bit; each index is handed out once; a worker's typed error arrives
 * here with its type (so the exit code is right); --workers and SHARPNESS_WORKERS are checked.
 */
import test from 'ava';
import os from 'node:os';
import { computeInWorkers, defaultWorkers, parseWorkers } from '../../src/parallel/WorkerPool.ts';
import { Backend } from '../../src/engine/backendNames.ts';
import { NumericError, UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { sineSum } from './sinesJob.ts';

const MODULE = new URL('./sinesJob.ts', import.meta.url).href;

for (const backend of [Backend.cpu, Backend.wasm]) {
  test.serial(`records from 2 workers (${backend}) equal this thread's, each index once`, async (t) => {
    await useBackend(backend);
    const indices = Array.from({ length: 13 }, (_, i) => (i * 7) % 13);
    const got = new Map<number, number>();
    await computeInWorkers<{ i: number; value: number }>({ workers: 2, module: MODULE, description: {}, engine: { backend } }, indices, (i, r) => {
      t.false(got.has(i), `index ${i} handed out twice`);
      t.is(r.i, i);
      got.set(i, r.value);
    });
    t.is(got.size, indices.length);
    for (const i of indices) t.is(Object.is(got.get(i), sineSum(i)), true, `item ${i}: ${got.get(i)} vs ${sineSum(i)}`);
  });
}

test('a typed error in a worker arrives as that type, and stops the pool', async (t) => {
  const e = await t.throwsAsync(
    computeInWorkers({ workers: 2, module: MODULE, description: { fail: 3 }, engine: { backend: Backend.cpu } }, [0, 1, 2, 3, 4, 5, 6], () => {}),
  );
  t.true(e instanceof NumericError);
  t.is(e?.message, 'sines: the loss is NaN at item 3');
});

test('a plain error in a worker arrives with its message', async (t) => {
  const e = await t.throwsAsync(computeInWorkers({ workers: 2, module: MODULE, description: { crash: 1 }, engine: { backend: Backend.cpu } }, [0, 1, 2], () => {}));
  t.false(e instanceof NumericError);
  t.regex(e?.message ?? '', /crashed at item 1/);
});

test('an error of the record callback stops the pool', async (t) => {
  await t.throwsAsync(
    computeInWorkers({ workers: 2, module: MODULE, description: {}, engine: { backend: Backend.cpu } }, [0, 1, 2, 3], (i) => {
      if (i === 2) throw new UsageError('callback refused item 2');
    }),
    { instanceOf: UsageError, message: 'callback refused item 2' },
  );
});

test('a job module that cannot be opened is reported', async (t) => {
  const e = await t.throwsAsync(computeInWorkers({ workers: 1, module: new URL('./noSuchJob.ts', import.meta.url).href, description: {}, engine: { backend: Backend.cpu } }, [0], () => {}));
  t.regex(e?.message ?? '', /noSuchJob/);
});

test('nothing to compute starts no worker', async (t) => {
  await computeInWorkers({ workers: 4, module: 'file:///nonexistent.ts', description: {}, engine: { backend: Backend.cpu } }, [], () => t.fail());
  t.pass();
});

test('--workers must be an integer in 1..1024; SHARPNESS_WORKERS sets the default', (t) => {
  t.is(parseWorkers(3), 3);
  t.is(parseWorkers('2'), 2);
  for (const bad of [0, -1, 1.5, 'two', '', NaN]) {
    t.throws(() => parseWorkers(bad), { instanceOf: UsageError, message: /--workers must be an integer in 1..1024/ });
  }
  t.is(defaultWorkers({}), os.availableParallelism());
  t.is(defaultWorkers({ SHARPNESS_WORKERS: '3' }), 3);
  t.throws(() => defaultWorkers({ SHARPNESS_WORKERS: 'x' }), { message: /SHARPNESS_WORKERS must be an integer in 1..1024/ });
});
