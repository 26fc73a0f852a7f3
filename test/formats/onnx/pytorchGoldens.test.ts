/**
 * ONNX models exported from PyTorch (fixtures/onnx/, made by scripts/onnx-fixtures/) against
 * float64 PyTorch goldens: loss, accuracy, gradient, an HVP along the golden's vector, the
 * top two Hessian eigenvalues and (for the smallest models) the exact trace. We compute in
 * float32, so tolerances are float32-sized; each assertion states its own.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { initEngine } from '../../../src/engine/backend.ts';
import * as pv from '../../../src/engine/paramVector.ts';
import { openAnalysisFor, type Analysis } from '../../../src/analysis/openAnalysis.ts';
import { Hessian } from '../../../src/hessian/Hessian.ts';

interface Golden {
  loss: number;
  accuracy: number | null;
  paramNames: string[];
  gradient: Record<string, number[]>;
  hvp: { v: Record<string, number[]>; Hv: Record<string, number[]> };
  topEigenvalues: [number, number];
  trace: number;
  keras?: { paramNames: string[]; gradient: Record<string, number[]>; hvp: { v: Record<string, number[]>; Hv: Record<string, number[]> } };
}

const FIXTURES = ['mlp', 'cnn_bn', 'resnet', 'tanh_ln', 'tanh_ln_opset17', 'attention', 'attention_mha', 'layers_twin'];
const EXACT_TRACE_MAX_PARAMS = 700;

const golden = (name: string): Golden => JSON.parse(readFileSync(`fixtures/onnx/${name}/golden.json`, 'utf8')) as Golden;

async function open(name: string, checkpoint = 'model.onnx'): Promise<Analysis> {
  const dir = `fixtures/onnx/${name}`;
  return openAnalysisFor(
    { checkpoint: `${dir}/${checkpoint}`, data: 'npy:x.npy,y.npy', loss: 'auto', bn: 'eval', l2: 0, batchSize: 'auto', seed: 0 },
    { cwd: dir },
  );
}

/** max |a - b| over max |b|, in float64. */
function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

function blocks(a: Analysis, byName: Record<string, number[]>): number[][] {
  return a.objective.names.map((n) => {
    const b = byName[n];
    if (!b) throw new Error(`golden has no block ${n}`);
    return b;
  });
}

test.before(async () => {
  await initEngine({ backend: 'wasm' });
});

for (const name of FIXTURES) {
  test(`${name}: loss, accuracy, gradient, HVP, top eigenvalues${name === 'mlp' ? '' : ''} match float64 PyTorch`, async (t) => {
    const g = golden(name);
    const a = await open(name);
    try {
      const o = a.objective;
      t.deepEqual([...o.names].sort(), [...g.paramNames].sort(), 'parameters are the float initializers in weight slots, named as in PyTorch');
      const la = o.lossAndAccuracy(o.params);
      t.true(Math.abs(la.loss - g.loss) <= 2e-6 * Math.max(1, g.loss), `loss ${la.loss} vs ${g.loss}`);
      t.is(la.accuracy, g.accuracy);

      const gr = o.grad(o.params);
      const ge = relMaxError(pv.flatten(gr.grad), blocks(a, g.gradient).flat());
      t.true(ge < 1e-4, `gradient max error ${ge.toExponential(2)} of its largest entry`);
      pv.dispose(gr.grad);

      const v = pv.unflatten(blocks(a, g.hvp.v).flat(), o.shapes);
      const hv = o.hvp(o.params, v);
      const he = relMaxError(pv.flatten(hv), blocks(a, g.hvp.Hv).flat());
      t.true(he < 2e-4, `HVP max error ${he.toExponential(2)} of its largest entry`);
      pv.dispose(v, hv);

      const eig = Hessian.fromObjective(o).eigenvalues({ topK: 2, tol: 1e-6, maxIter: 300 });
      for (let k = 0; k < 2; k++) {
        const e = Math.abs(eig.eigenvalues[k]! - g.topEigenvalues[k]!) / Math.abs(g.topEigenvalues[0]);
        t.true(e < 1e-4, `lambda_${k + 1} ${eig.eigenvalues[k]} vs ${g.topEigenvalues[k]} (error ${e.toExponential(2)} of lambda_1)`);
      }

      if (o.dimension <= EXACT_TRACE_MAX_PARAMS) {
        // the exact trace: sum of e_i' H e_i over the basis
        let trace = 0;
        const flat = new Float32Array(o.dimension);
        for (let i = 0; i < o.dimension; i++) {
          flat.fill(0);
          flat[i] = 1;
          const e = pv.unflatten(flat, o.shapes);
          const he2 = o.hvp(o.params, e);
          trace += pv.flatten(he2)[i]!;
          pv.dispose(e, he2);
        }
        t.true(Math.abs(trace - g.trace) < 1e-4 * Math.abs(g.trace), `trace ${trace} vs ${g.trace}`);
      }
    } finally {
      a.dispose();
    }
  });
}

test('layers_twin: the same network as a TensorFlow.js layers model gives the same loss, gradient and HVP as its ONNX export', async (t) => {
  const g = golden('layers_twin');
  const onnx = await open('layers_twin');
  const layers = await open('layers_twin', 'tfjs');
  try {
    const k = g.keras!;
    t.deepEqual([...layers.objective.names], k.paramNames);
    t.true(Math.abs(layers.objective.loss(layers.objective.params) - onnx.objective.loss(onnx.objective.params)) < 1e-6);
    const gl = layers.objective.grad(layers.objective.params);
    t.true(relMaxError(pv.flatten(gl.grad), blocks(layers, k.gradient).flat()) < 1e-4);
    const v = pv.unflatten(blocks(layers, k.hvp.v).flat(), layers.objective.shapes);
    const hv = layers.objective.hvp(layers.objective.params, v);
    t.true(relMaxError(pv.flatten(hv), blocks(layers, k.hvp.Hv).flat()) < 2e-4);
    pv.dispose(gl.grad, v, hv);
  } finally {
    onnx.dispose();
    layers.dispose();
  }
});
