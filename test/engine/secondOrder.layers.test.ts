/**
 * For every layer, activation and loss we support: the gradient matches a central finite
 * difference of the loss, the HVP matches a central finite difference of the gradient,
 * u.Hv == v.Hu, no block is missing, and cpu and wasm agree.
 *
 * Tolerances (float32 throughout): directional derivative |<g,u> - FD| / ||g|| < 1e-3 at
 * eps 1e-2 (smooth) or 1e-3 (kinked: relu, max-pool, elu's second derivative); HVP
 * ||Hv - FD|| / ||FD|| < 2e-3 (smooth) or 1e-2 (kinked), unit-norm directions; symmetry
 * |u.Hv - v.Hu| / |u.Hv| < 1e-4; cpu vs wasm and cpu vs webgpu relative difference < 1e-4.
 * The finite-difference checks run on cpu and, where it starts, on webgpu (helpers/engine.ts:
 * skipped with the reason printed when no adapter exists, a failure in CI).
 */
import test from 'ava';
import type { Tensor } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { LAYER_CASES, seedWeights, makeBatch, type LayerCase } from '../helpers/layerCases.ts';
import {
  problemFromModel,
  grad,
  hvp,
  hvpFD,
  relativeError,
  unitDirection,
  directionalDerivativeFD,
} from '../helpers/derivatives.ts';
import { derivativeBackends, useBackend } from '../helpers/engine.ts';

const BACKENDS = await derivativeBackends(test);

test.serial.before(async () => {
  await useBackend('cpu');
});

interface Computed {
  grad: Float32Array;
  hvp: Float32Array;
}

function setup(c: LayerCase) {
  const model = c.build();
  seedWeights(model, createRng(1));
  const { x, y } = makeBatch(c, 4, 2);
  const p = problemFromModel(model, x, y, c.loss, { training: c.training, l2: c.l2 });
  return { model, x, y, p };
}

function computeOn(c: LayerCase): Computed {
  const { model, x, y, p } = setup(c);
  const v = unitDirection(p, 4);
  const g = grad(p);
  const hv = hvp(p, v);
  const out = { grad: pv.flatten(g), hvp: pv.flatten(hv) };
  pv.dispose(g, hv, v);
  x.dispose();
  y.dispose();
  model.dispose();
  return out;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  const r = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
  return Number.isNaN(r) ? Infinity : r;
}

for (const c of LAYER_CASES) {
  for (const backend of BACKENDS) {
    test.serial(`${c.name} (${backend}): gradient and HVP match finite differences, HVP symmetric, no missing block`, async (t) => {
      await useBackend(backend);
      const { model, x, y, p } = setup(c);
      const eps = c.kinked ? 1e-3 : 1e-2;
      const u = unitDirection(p, 3);
      const v = unitDirection(p, 4);

      const g = grad(p);
      const fdDir = directionalDerivativeFD(p, u, eps);
      const gradErr = Math.abs(pv.dot(g, u) - fdDir) / pv.norm(g);
      t.true(gradErr < 1e-3, `gradient vs FD: ${gradErr}`);

      const hv = hvp(p, v);
      t.is(hv.length, p.vars.length);
      hv.forEach((b: Tensor, i) => t.deepEqual(b.shape, p.vars[i]!.shape, `block ${p.names[i]} shape`));
      t.true(pv.allFinite(hv), 'HVP has non-finite entries');
      const fd = hvpFD(p, v, eps);
      const hvpErr = relativeError(hv, fd);
      t.true(hvpErr < (c.kinked ? 1e-2 : 2e-3), `HVP vs FD: ${hvpErr}`);

      const hu = hvp(p, u);
      const uHv = pv.dot(u, hv);
      const sym = Math.abs(uHv - pv.dot(v, hu)) / Math.abs(uHv);
      t.true(sym < 1e-4, `symmetry: ${sym}`);

      pv.dispose(u, v, g, hv, fd, hu);
      x.dispose();
      y.dispose();
      model.dispose();
    });
  }

  for (const other of ['wasm', ...BACKENDS.filter((b) => b !== 'cpu')] as const) {
    test.serial(`${c.name}: cpu and ${other} agree on gradient and HVP`, async (t) => {
      await useBackend('cpu');
      const onCpu = computeOn(c);
      await useBackend(other);
      const onOther = computeOn(c);
      await useBackend('cpu');
      const dg = relDiff(onOther.grad, onCpu.grad);
      const dh = relDiff(onOther.hvp, onCpu.hvp);
      t.true(dg < 1e-4, `gradient cpu vs ${other}: ${dg}`);
      t.true(dh < 1e-4, `HVP cpu vs ${other}: ${dh}`);
    });
  }
}
