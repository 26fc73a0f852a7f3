import test from 'ava';
import { initEngine } from '../../src/engine/backend.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { selectParams } from '../../src/objective/selectParams.ts';
import { openAnalysisFor } from '../../src/analysis/openAnalysis.ts';
import { UsageError } from '../../src/errors.ts';

const DIR = 'fixtures/onnx/layers_twin';
const spec = (params?: string) => ({
  checkpoint: `${DIR}/tfjs`,
  data: 'npy:x.npy,y.npy',
  loss: 'auto',
  bn: 'eval' as const,
  l2: 0,
  batchSize: 'auto' as const,
  seed: 0,
  ...(params === undefined ? {} : { params }),
});

test.before(async () => {
  await initEngine({ backend: 'cpu' });
});

test('globs select blocks in checkpoint order; a glob matching nothing names the parameters', (t) => {
  const names = ['hidden/kernel', 'hidden/bias', 'output/kernel', 'output/bias'];
  t.deepEqual(selectParams(names, 'output/*'), [2, 3]);
  t.deepEqual(selectParams(names, '*/bias, hidden/kernel'), [0, 1, 3]);
  t.deepEqual(selectParams(names, 'hidden/?ias'), [1]);
  t.throws(() => selectParams(names, 'conv*'), { instanceOf: UsageError, message: /^--params: 'conv\*' matches no parameter; the parameters are hidden\/kernel, hidden\/bias, output\/kernel, output\/bias/ });
  t.throws(() => selectParams(names, ' , '), { instanceOf: UsageError });
});

test('--params: gradient and HVP are the selected blocks of the full ones (other blocks held fixed)', async (t) => {
  const full = await openAnalysisFor(spec(), { cwd: DIR });
  const sub = await openAnalysisFor(spec('output/*'), { cwd: DIR });
  try {
    t.deepEqual(sub.objective.names, ['output/kernel', 'output/bias']);
    t.is(sub.objective.loss(sub.objective.params), full.objective.loss(full.objective.params));
    const gFull = full.objective.grad(full.objective.params);
    const gSub = sub.objective.grad(sub.objective.params);
    for (let k = 0; k < 2; k++) {
      t.deepEqual(Array.from(gSub.grad[k]!.dataSync()), Array.from(gFull.grad[k + 2]!.dataSync()));
    }
    // H_sub v equals the output blocks of H_full [0; v]
    const v = pv.randomNormal(sub.objective.shapes, createRng(4));
    const padded = [...pv.zerosLike(full.objective.params.slice(0, 2)), ...v];
    const hSub = sub.objective.hvp(sub.objective.params, v);
    const hFull = full.objective.hvp(full.objective.params, padded);
    const a = pv.flatten(hSub);
    const b = pv.flatten(hFull.slice(2));
    let err = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      err = Math.max(err, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(b[i]!));
    }
    t.true(scale > 0 && err <= 1e-5 * scale, `max error ${err} of ${scale}`);
    pv.dispose(gFull.grad, gSub.grad, v, padded, hSub, hFull);
  } finally {
    full.dispose();
    sub.dispose();
  }
});
