import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { initEngine } from '../../src/engine/backend.ts';
import { createRng } from '../../src/engine/rng.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import type { Objective } from '../../src/objective/Objective.ts';
import { checkDerivatives } from '../../src/check/derivativeCheck.ts';
import { UsageError } from '../../src/errors.ts';

test.before(async () => {
  await initEngine({ backend: 'cpu' });
});

const quadratic = () => createQuadraticObjective({ eigenvalues: [5, 2, 1, 0.5, 0.1], seed: 3, center: [0.3, -0.2, 0.1, 0, 0.4], baseLoss: 0.25 });

test('a quadratic passes: exact gradient, exact HVP, symmetric Hessian', (t) => {
  const q = quadratic();
  // evaluated away from the centre, where the gradient is not zero
  const w = pv.unflatten([1, 1, -1, 0.5, 2], q.shapes);
  const o: Objective = { ...q, params: w, grad: (x) => q.grad(x), hvp: (x, v) => q.hvp(x, v), loss: (x) => q.loss(x) };
  const r = checkDerivatives(o, createRng(1), { directions: 4 });
  t.true(r.ok);
  t.is(r.directions.length, 4);
  for (const d of r.directions) {
    t.true(d.hvp.relativeError < 1e-4, `hvp error ${d.hvp.relativeError}`);
    t.true(d.symmetry < 1e-5);
    t.true(d.gradient.error <= d.gradient.bound);
  }
  pv.dispose(w);
  q.dispose();
});

test('a wrong, asymmetric HVP fails the HVP check and the symmetry check', (t) => {
  const q = quadratic();
  const wrong: Objective = {
    ...q,
    hvp: (w, v) => {
      const hv = q.hvp(w, v);
      // an asymmetric error: scale by a non-symmetric matrix (a shift of one coordinate into another)
      const flat = pv.flatten(hv);
      const vf = pv.flatten(v);
      flat[0] = flat[0]! + 0.5 * vf[1]!;
      pv.dispose(hv);
      return pv.unflatten(flat, q.shapes);
    },
  };
  const r = checkDerivatives(wrong, createRng(2), { directions: 3 });
  t.false(r.hvpOk);
  t.false(r.symmetryOk);
  t.false(r.ok);
  q.dispose();
});

test('a wrong gradient fails the gradient check', (t) => {
  const q = quadratic();
  const w = pv.unflatten([1, 1, -1, 0.5, 2], q.shapes);
  const wrong: Objective = {
    ...q,
    params: w,
    grad: (x) => {
      const g = q.grad(x);
      const scaled = pv.scale(1.5, g.grad);
      pv.dispose(g.grad);
      return { value: g.value, grad: scaled };
    },
  };
  const r = checkDerivatives(wrong, createRng(3), { directions: 3 });
  t.false(r.gradientOk);
  t.false(r.ok);
  pv.dispose(w);
  q.dispose();
});

test('bad counts are usage errors naming the option; no tensors leak', (t) => {
  const q = quadratic();
  t.throws(() => checkDerivatives(q, createRng(0), { directions: 0 }), { instanceOf: UsageError, message: /--directions must be an integer in 1\.\.20, got 0/ });
  t.throws(() => checkDerivatives(q, createRng(0), { directions: 1e9 }), { instanceOf: UsageError });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) checkDerivatives(q, createRng(i));
  t.is(tf.memory().numTensors, before);
  q.dispose();
});
