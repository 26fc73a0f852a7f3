/**
 * The widths check each other on a nonlinear model: a tiny tanh MLP (2-4-3, 27 weights,
 * softmax cross-entropy plus 1e-3 ||w||^2, 90 overlapping blobs) trained by full-batch
 * gradient descent to a minimum (gradient norm checked tiny), its lambda_max by Lanczos and
 * its exact trace from 27 Hessian-vector products with the unit vectors.
 *
 * The bands, derived: near a minimum L(w + e) - L(w) = e'He/2 + O(|e|^3), so
 * measured / predicted = 1 + c r + O(r^2) for some c set by the third derivatives; we do not
 * know c, so we require the tight band [0.8, 1.25] at the smallest radius (0.02) and let the
 * band grow linearly in r from there, [1 / (1 + k r), 1 + k r] with k = 0.25 / 0.02: at
 * r = 0.1 [0.44, 2.25], at r = 0.4 [0.17, 6]. The uniform-ball average also carries sampling
 * error (400 samples: a few percent), inside the same bands. The gradient left at w adds
 * r ||g|| to the worst case; it is checked below 5% of r^2 lambda_max / 2 at the smallest r.
 * The deviation from 1 is also checked to grow with r (the model is not a quadratic).
 */
import test from 'ava';
import { tf, tfl, type Tensor } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { generateSynthetic } from '../../src/io/synthetic.ts';
import { createModelObjective } from '../../src/objective/modelObjective.ts';
import { Loss } from '../../src/objective/losses.ts';
import { Hessian } from '../../src/hessian/Hessian.ts';
import { ballSharpness } from '../../src/sharpness/ballSharpness.ts';
import { widthConsistency } from '../../src/report/widthConsistency.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

const RADII = [0.02, 0.1, 0.4];
const K = 0.25 / 0.02;
const L2 = 1e-3;

test('tanh MLP at a trained minimum: worst-case and average l2-ball increases match r² λ_max / 2 and r² tr(H) / (2 (d + 2)) within bands widening with r', async (t) => {
  const data = generateSynthetic('blobs', 90, 0);
  const L = tfl.layers;
  const model = tfl.sequential({ layers: [L.dense({ inputShape: [2], units: 4, activation: 'tanh' }), L.dense({ units: 3, activation: 'softmax' })] });
  seedWeights(model, createRng(2));
  const opts = { loss: Loss.ce, l2: L2, batchSize: 90 };

  // Full-batch gradient descent, fixed step 5 (lambda_max is about 0.04: stable), to the minimum, then written into the model.
  let o = await createModelObjective(model, data, opts);
  let w = pv.clone(o.params);
  for (let i = 0; i < 1500; i++) {
    const { grad } = o.grad(w);
    const next = tf.tidy(() => w.map((x, j) => tf.sub(x, tf.mul(grad[j]!, 5))));
    pv.dispose(grad);
    pv.dispose(w);
    w = next;
  }
  model.trainableWeights.forEach((v, i) => v.write(w[i]!.clone() as Tensor));
  pv.dispose(w);
  o.dispose();
  o = await createModelObjective(model, data, opts);

  const { grad } = o.grad(o.params);
  const gnorm = pv.norm(grad);
  pv.dispose(grad);
  const d = o.params.reduce((a, p) => a + p.size, 0);
  t.is(d, 27);
  const lambdaMax = Hessian.fromObjective(o).eigenvalues({ topK: 1, tol: 1e-6 }).eigenvalues[0]!;
  // Exact trace: sum of e_i' H e_i over the d unit vectors.
  let trace = 0;
  for (let i = 0; i < d; i++) {
    const flat = new Float32Array(d);
    flat[i] = 1;
    const e = pv.unflatten(flat, o.params.map((p) => p.shape));
    const he = o.hvp(o.params, e);
    trace += pv.flatten(he)[i]!;
    pv.dispose(e, he);
  }
  t.true(lambdaMax > 0 && trace >= lambdaMax, `λ_max ${lambdaMax}, tr ${trace}`);
  t.true(RADII[0]! * gnorm < 0.05 * (RADII[0]! ** 2 * lambdaMax) / 2, `at a minimum: ||g|| = ${gnorm}, λ_max ${lambdaMax}`);

  const ball = ballSharpness(o, { norm: 'l2', radii: RADII, samples: 400, restarts: 1, steps: 40, seed: 4 });
  const rows = widthConsistency([
    {
      label: 'tanh MLP',
      lambdaMax,
      trace,
      dimension: d,
      l2Ball: { baseLoss: ball.baseLoss, points: ball.points.map((p) => ({ radius: p.radius, maxLoss: p.maxLoss, averageLoss: p.averageLoss })) },
    },
  ]);
  t.is(rows.length, 2 * RADII.length);
  for (const r of rows) {
    const radius = Number(r.at.replace('r = ', ''));
    const hi = 1 + K * radius;
    t.true(r.ratio >= 1 / hi && r.ratio <= hi, `${r.measure} at r = ${radius}: ratio ${r.ratio.toFixed(4)} outside [${(1 / hi).toFixed(3)}, ${hi.toFixed(3)}]`);
    if (radius === RADII[0]) t.true(r.ratio >= 0.8 && r.ratio <= 1.25, `${r.measure} at the smallest radius: ${r.ratio}`);
  }
  // Not a quadratic: the worst case drifts from its prediction as r grows.
  const worst = rows.filter((r) => r.measure === 'worst-case l2 increase').map((r) => Math.abs(Math.log(r.ratio)));
  t.true(worst[2]! > worst[0]!, `|log ratio| by radius: ${worst.map((x) => x.toFixed(4))}`);
  t.log(rows.map((r) => `${r.measure} ${r.at}: ${r.ratio.toFixed(4)}`).join('; '));
  o.dispose();
  model.dispose();
});
