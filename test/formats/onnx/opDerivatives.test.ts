/**
 * Gradient and Hessian-vector product through every differentiable op of the interpreter,
 * against central finite differences, on cpu and wasm. Loss: 0.5 mean((y - r)^2) for a
 * fixed r, so every op (linear ones too) has a non-zero Hessian.
 *
 * Tolerances (float32): |<g,u> - FD| / ||g|| < 1e-3 at eps 1e-2 (smooth) or
 * 1e-3 (kinked); ||Hv - FD(g)|| / ||FD(g)|| < 3e-3 (smooth, eps 1e-2) or 2e-2 (kinked, eps 1e-3);
 * |u.Hv - v.Hu| / |u.Hv| < 1e-3; cpu vs wasm relative difference of Hv < 1e-4.
 */
import test from 'ava';
import { tf, type Scalar, type Tensor } from '../../../src/engine/tf.ts';
import * as pv from '../../../src/engine/paramVector.ts';
import { createOnnxModel } from '../../../src/formats/onnx/loadOnnx.ts';
import type { OnnxModel } from '../../../src/formats/onnx/OnnxModel.ts';
import { grad, hvp, hvpFD, relativeError, unitDirection, directionalDerivativeFD, type Problem } from '../../helpers/derivatives.ts';
import { useBackend } from '../../helpers/engine.ts';
import { buildModel, values } from './buildOnnx.ts';
import { OP_CASES, caseGraph, type OpCase } from './opCases.ts';

interface Setup {
  model: OnnxModel;
  p: Problem;
  dispose: () => void;
}

function setup(c: OpCase): Setup {
  const model = createOnnxModel(buildModel(caseGraph(c)), c.name);
  const vars = model.params.map((info) => tf.variable(tf.tensor(model.initialValue(info.name), info.shape)));
  const state = model.state.map((info) => tf.tensor(model.initialValue(info.name), info.shape));
  const [lo, hi] = c.xRange ?? [-1.5, 1.5];
  const n = c.sample.reduce((a, b) => a * b, 1);
  const x = tf.tensor(values(2 * n, 3, lo, hi), [2, ...c.sample]);
  const yShape = tf.tidy(() => model.forward(x, vars, state, { training: !!c.training, skipFinal: false }).shape);
  const r = tf.tensor(values(yShape.reduce((a, b) => a * b, 1), 9), yShape);
  const loss = (): Scalar =>
    tf.tidy(() => {
      const y = model.forward(x, vars, state, { training: !!c.training, skipFinal: false });
      return tf.mul(tf.mean(tf.square(tf.sub(y, r))), 0.5) as Scalar;
    });
  return {
    model,
    p: { vars, names: model.params.map((q) => q.name), loss },
    dispose: () => {
      tf.dispose([...vars, ...state, x, r]);
      model.dispose();
    },
  };
}

const results = new Map<string, Float32Array>();

for (const backend of ['cpu', 'wasm'] as const) {
  for (const c of OP_CASES) {
    test.serial(`${backend}: ${c.name}: gradient and HVP match finite differences`, async (t) => {
      await useBackend(backend);
      const { p, dispose } = setup(c);
      try {
        const eps = c.kinked ? 1e-3 : 1e-2;
        const u = unitDirection(p, 7);
        const v = unitDirection(p, 8);
        const g = grad(p);
        const gu = pv.dot(g, u);
        const fd = directionalDerivativeFD(p, u, eps);
        const gradErr = Math.abs(gu - fd) / pv.norm(g);
        t.true(gradErr < 1e-3, `directional derivative ${gu} vs FD ${fd} (rel ${gradErr})`);

        const hv = hvp(p, v);
        const hvFd = hvpFD(p, v, eps);
        const hvErr = relativeError(hv, hvFd);
        t.true(hvErr < (c.kinked ? 2e-2 : 3e-3), `HVP vs FD relative error ${hvErr}`);
        const hu = hvp(p, u);
        const uHv = pv.dot(u, hv);
        const vHu = pv.dot(v, hu);
        t.true(Math.abs(uHv - vHu) <= 1e-3 * Math.max(Math.abs(uHv), 1e-6), `symmetry u.Hv ${uHv} v.Hu ${vHu}`);

        const flat = pv.flatten(hv);
        const other = results.get(c.name);
        if (other) {
          let num = 0;
          let den = 0;
          flat.forEach((a, k) => {
            num += (a - other[k]!) ** 2;
            den += other[k]! ** 2;
          });
          t.true(Math.sqrt(num) <= 1e-4 * Math.max(Math.sqrt(den), 1e-6), `cpu vs wasm HVP differ by ${Math.sqrt(num / Math.max(den, 1e-30))}`);
        } else {
          results.set(c.name, flat);
        }
        pv.dispose(u, v, g, hv, hvFd, hu);
      } finally {
        dispose();
      }
    });
  }
}

test.serial('the gradient and HVP cases cover every differentiable op', (t) => {
  const covered = new Set(OP_CASES.flatMap((c) => c.nodes.map((n) => n.op)));
  const nonDifferentiable = ['Shape', 'Constant', 'ConstantOfShape', 'Range', 'Floor', 'Ceil', 'Greater', 'Equal', 'Less', 'Cast', 'Where'];
  const missing = Object.keys(OP_TABLE).filter((op) => !covered.has(op) && !nonDifferentiable.includes(op));
  t.deepEqual(missing, []);
});

import { OP_TABLE } from '../../../src/formats/onnx/opTable.ts';
export type { Tensor };
