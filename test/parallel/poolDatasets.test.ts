/**
 * Issue 18 (memory): a worker pool holds one copy of the data. The main thread's opener
 * (with worker threads) loads the dataset once into shared memory and offers it; each pool
 * worker's opener takes that very memory instead of loading its own copy: the test writes a
 * sentinel into the main thread's array after opening and the workers read it back, and
 * count no dataset loads of their own. The loss a worker computes on the shared data equals
 * this thread's, bit for bit. Once released, nothing is offered any more.
 */
import path from 'node:path';
import test from 'ava';
import { openAnalysisFor, type AnalysisSpec } from '../../src/analysis/openAnalysis.ts';
import { computeInWorkers } from '../../src/parallel/WorkerPool.ts';
import { loadDatasetOnce, offeredDatasets, receiveDatasets } from '../../src/parallel/poolDatasets.ts';
import { Backend } from '../../src/engine/backendNames.ts';
import { Loss } from '../../src/objective/losses.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import type { DataProbeRecord } from './dataProbeJob.ts';

const MODULE = new URL('./dataProbeJob.ts', import.meta.url).href;

test.serial('pool workers use the main thread\'s shared data and load none themselves', async (t) => {
  await useBackend('cpu');
  const dir = await tempDir('sharpness-pooldata-');
  const ck = await saveMnistMlp(path.join(dir, 'mlp'), 1, 8);
  const spec: AnalysisSpec = { checkpoint: ck, data: 'mnist:test:64', loss: Loss.ce, bn: 'eval', l2: 0, batchSize: 32, seed: 1 };
  t.deepEqual(Object.keys(offeredDatasets()), []);
  // workers: 2, as an item command opens its main-thread job (its objective data-parallel too)
  const a = await openAnalysisFor(spec, { workers: 2 });
  try {
    t.true(a.data.x.buffer instanceof SharedArrayBuffer);
    const offered = Object.values(offeredDatasets());
    t.is(offered.length, 1);
    t.is(offered[0]!.x, a.data.x, 'the offered dataset is the one this thread computes on');
    const lossHere = a.objective.loss(a.objective.params);
    // A sentinel only this thread's memory has: a worker that loaded its own copy would not see it.
    const original = a.data.x[0]!;
    a.data.x[0] = 12345.5;
    const sentinel: DataProbeRecord[] = [];
    await computeInWorkers<DataProbeRecord>({ workers: 2, module: MODULE, description: spec, engine: { backend: Backend.cpu } }, [0, 1, 2, 3], (_i, r) => {
      sentinel.push(r);
    });
    t.is(sentinel.length, 4);
    for (const r of sentinel) {
      t.true(r.shared, 'a worker\'s data is in shared memory');
      t.is(r.first, 12345.5, 'a worker reads the main thread\'s array');
      t.is(r.loads, 0, 'a worker loads no dataset of its own');
    }
    a.data.x[0] = original;
    const same: DataProbeRecord[] = [];
    await computeInWorkers<DataProbeRecord>({ workers: 2, module: MODULE, description: spec, engine: { backend: Backend.cpu } }, [0, 1], (_i, r) => {
      same.push(r);
    });
    for (const r of same) t.true(Object.is(r.loss, lossHere), `worker loss ${r.loss} vs this thread's ${lossHere}`);
  } finally {
    a.dispose();
  }
  t.deepEqual(Object.keys(offeredDatasets()), [], 'released with the analysis');
});

test.serial('without worker threads nothing is shared or offered; a worker without a handed dataset loads its own', async (t) => {
  await useBackend('cpu');
  const dir = await tempDir('sharpness-pooldata-');
  const ck = await saveMnistMlp(path.join(dir, 'mlp'), 2, 8);
  const spec: AnalysisSpec = { checkpoint: ck, data: 'mnist:test:32', loss: Loss.ce, bn: 'eval', l2: 0, batchSize: 32, seed: 1 };
  const a = await openAnalysisFor(spec, { workers: 1 });
  try {
    t.false(a.data.x.buffer instanceof SharedArrayBuffer);
    t.deepEqual(Object.keys(offeredDatasets()), []);
    const got: DataProbeRecord[] = [];
    await computeInWorkers<DataProbeRecord>({ workers: 1, module: MODULE, description: spec, engine: { backend: Backend.cpu } }, [0], (_i, r) => {
      got.push(r);
    });
    t.is(got[0]!.loads, 1);
    t.false(got[0]!.shared);
    t.true(Object.is(got[0]!.loss, a.objective.loss(a.objective.params)));
  } finally {
    a.dispose();
  }
});

test('loadDatasetOnce: one load per key while held, released by the last holder; only worker threads receive', async (t) => {
  let calls = 0;
  const load = async (spec: string) => {
    calls++;
    return { spec, n: 2, sampleShape: [1], x: Float32Array.of(1, 2), targets: { kind: 'classes' as const, labels: Int32Array.of(0, 1), numClasses: 2 }, sha256: 'h' };
  };
  const key = { spec: 'npy:a.npy,b.npy', seed: 3, cwd: '/tmp/somewhere' };
  const one = await loadDatasetOnce(key, true, load);
  const two = await loadDatasetOnce({ ...key, cwd: '/tmp/somewhere/.' }, true, load);
  t.is(calls, 1);
  t.is(one.data, two.data);
  t.true(one.data.x.buffer instanceof SharedArrayBuffer);
  const other = await loadDatasetOnce({ ...key, seed: 4 }, true, load);
  t.is(calls, 2);
  t.is(Object.keys(offeredDatasets()).length, 2);
  one.release();
  one.release(); // twice is once
  t.is(Object.keys(offeredDatasets()).length, 2);
  two.release();
  other.release();
  t.deepEqual(offeredDatasets(), {});
  t.throws(() => receiveDatasets({}), { message: /only a worker thread/ });
});
