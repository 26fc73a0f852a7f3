/**
 * The data-parallel objective: loss, accuracy, gradient, HVP and Lanczos eigenvalues on 1,
 * 2 and 3 worker threads equal the single-thread objective's bit for bit (the chunks are
 * summed in chunk order, whatever the worker count); no tensors leak in this thread; the
 * workers exit at dispose(); a worker's failure arrives typed.
 */
import test from 'ava';
import path from 'node:path';
import { tf } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { Backend } from '../../src/engine/backendNames.ts';
import { loadCheckpoint } from '../../src/formats/loadCheckpoint.ts';
import { loadDataset } from '../../src/io/dataset.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { buildBuiltinModel } from '../../src/models/builtinModels.ts';
import { Loss } from '../../src/objective/losses.ts';
import { addScaledInPlace, createModelObjective } from '../../src/objective/modelObjective.ts';
import type { Objective } from '../../src/objective/Objective.ts';
import { hvpOperator } from '../../src/hessian/HvpOperator.ts';
import { lanczosEigenpairs } from '../../src/hessian/lanczosEigenpairs.ts';
import { createDataParallelObjective, liveDataWorkers, type MaybeParallelObjective } from '../../src/parallel/DataParallelObjective.ts';
import { InputError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { tempDir } from '../helpers/checkpoints.ts';

const bitsEqual = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
};

/** Worker threads exit asynchronously (slowly on a loaded machine): waits up to 30 s. */
async function waitForExit(): Promise<number> {
  for (let i = 0; i < 600 && liveDataWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return liveDataWorkers();
}

test('addScaledInPlace reproduces the float32 tensor sum acc + w g bit for bit', async (t) => {
  await useBackend(Backend.wasm);
  const rng = createRng(5);
  const n = 4099;
  const terms = Array.from({ length: 5 }, () => Float32Array.from({ length: n }, () => rng.normal() * 10 ** (4 * rng.uniform() - 2)));
  const weights = [0.3, 1 / 7, 0.123456789, 2 / 3, 0.1];
  const acc = new Float32Array(n);
  let tacc: tf.Tensor | null = null;
  terms.forEach((g, c) => {
    addScaledInPlace(acc, g, weights[c]!, c === 0);
    const next: tf.Tensor = tf.tidy(() => (tacc ? tf.add(tacc, tf.mul(tf.tensor1d(g), weights[c]!)) : tf.mul(tf.tensor1d(g), weights[c]!)));
    tacc?.dispose();
    tacc = next;
  });
  t.true(bitsEqual(acc, (tacc as unknown as tf.Tensor).dataSync()));
  (tacc as unknown as tf.Tensor).dispose();
});

interface Snapshot {
  loss: number;
  acc: { loss: number; accuracy: number | null };
  gradValue: number;
  grad: Float32Array;
  hvp: Float32Array;
  gradAway: Float32Array;
  hvpAway: Float32Array;
}

function snapshot(o: Objective): Snapshot {
  const rng = createRng(11);
  const v = pv.randomNormal(o.shapes, rng);
  const away = pv.axpy(0.01, v, o.params);
  const g = o.grad(o.params);
  const h = o.hvp(o.params, v);
  const ga = o.grad(away);
  const ha = o.hvp(away, v);
  const out = {
    loss: o.loss(away),
    acc: o.lossAndAccuracy(o.params),
    gradValue: g.value,
    grad: pv.flatten(g.grad),
    hvp: pv.flatten(h),
    gradAway: pv.flatten(ga.grad),
    hvpAway: pv.flatten(ha),
  };
  pv.dispose(v, away, g.grad, h, ga.grad, ha);
  return out;
}

async function openBoth(model: 'mlp' | 'cnn', samples: number) {
  const dir = path.join(await tempDir(), model);
  const m = buildBuiltinModel(model, [28, 28, 1], 10, 3);
  await saveCheckpoint(m, dir, { method: 'test' });
  m.dispose();
  const ck = await loadCheckpoint(dir);
  const data = await loadDataset(`mnist:test:${samples}`);
  return { dir, ck, data };
}

for (const [model, samples, batchSize, l2] of [
  ['cnn', 130, 20, 0],
  ['mlp', 301, 50, 1e-3],
] as const) {
  test.serial(`${model}: loss, accuracy, gradient and HVP on 1, 2 and 3 workers equal one thread's bit for bit (l2 ${l2})`, async (t) => {
    const engine = await useBackend(Backend.wasm);
    const { dir, ck, data } = await openBoth(model, samples);
    const opts = { loss: Loss.ce, batchSize, l2 };
    const local = await createModelObjective(ck.network, data, opts);
    const ref = snapshot(local);
    local.dispose();
    for (const workers of [1, 2, 3]) {
      const before = tf.memory().numTensors;
      const o: MaybeParallelObjective = await createDataParallelObjective(ck.network, data, { ...opts, workers, checkpoint: dir, engine: { backend: engine.backend as Backend } });
      t.is(o.parallelStats === undefined, workers === 1, 'one worker runs in this thread');
      const got = snapshot(o);
      for (const k of Object.keys(ref) as (keyof Snapshot)[]) {
        const a = ref[k];
        const b = got[k];
        const same = a instanceof Float32Array ? bitsEqual(a, b as Float32Array) : JSON.stringify(a) === JSON.stringify(b) && (typeof a !== 'number' || Object.is(a, b));
        t.true(same, `${model}, ${workers} workers: ${k} differs`);
      }
      if (workers > 1) t.is(o.parallelStats!().calls, 6);
      o.dispose();
      t.is(tf.memory().numTensors, before, `${workers} workers: tensors leaked in this thread`);
    }
    t.is(await waitForExit(), 0, 'every worker thread exited after dispose()');
    ck.dispose();
  });
}

test.serial('Lanczos top-2 eigenvalues on 2 and 3 workers equal one thread\'s bit for bit; no tensor leaks over many HVPs', async (t) => {
  const engine = await useBackend(Backend.wasm);
  const { dir, ck, data } = await openBoth('mlp', 160);
  const opts = { loss: Loss.ce, batchSize: 40 };
  const local = await createModelObjective(ck.network, data, opts);
  const ref = lanczosEigenpairs(hvpOperator(local), { topK: 2, tol: 1e-3, seed: 7 });
  ref.eigenvectors?.forEach((e) => pv.dispose(e));
  local.dispose();
  t.true(ref.hvps >= 5);
  for (const workers of [2, 3]) {
    const before = tf.memory().numTensors;
    const o = await createDataParallelObjective(ck.network, data, { ...opts, workers, checkpoint: dir, engine: { backend: engine.backend as Backend } });
    const got = lanczosEigenpairs(hvpOperator(o), { topK: 2, tol: 1e-3, seed: 7 });
    got.eigenvectors?.forEach((e) => pv.dispose(e));
    t.deepEqual(got.eigenvalues, ref.eigenvalues);
    t.is(got.hvps, ref.hvps);
    t.is(o.cost.hvps, ref.hvps);
    o.dispose();
    t.is(tf.memory().numTensors, before);
  }
  t.is(await waitForExit(), 0);
  ck.dispose();
});

test.serial('a worker that cannot open the checkpoint fails the first evaluation with a typed error, and its threads exit', async (t) => {
  const engine = await useBackend(Backend.wasm);
  const { ck, data } = await openBoth('mlp', 100);
  const o = await createDataParallelObjective(ck.network, data, {
    loss: Loss.ce,
    batchSize: 25,
    workers: 2,
    checkpoint: path.join(await tempDir(), 'missing'),
    engine: { backend: engine.backend as Backend },
  });
  const e = t.throws(() => o.loss(o.params));
  t.true(e instanceof InputError, `${e?.name}: ${e?.message}`);
  t.throws(() => o.loss(o.params), { instanceOf: InputError }, 'stays failed');
  o.dispose();
  t.is(await waitForExit(), 0);
  ck.dispose();
});
