/**
 * One SAM step on a quadratic equals the formula computed by hand:
 *   w1 = w - lr (grad L(w + e_hat) + 2 lambda w),  e_hat from g = grad L(w),
 * for p = 2, p = inf, p = 3 and adaptive; through samGradient + HeavyBall, and through
 * the Trainer on a linear least-squares model (a quadratic in its weights).
 */
import test from 'ava';
import { tf, tfl, type Scalar, type Variable } from '../../src/engine/tf.ts';
import { samGradient, addL2Gradient } from '../../src/training/methodStep.ts';
import { HeavyBall } from '../../src/training/sgdStep.ts';
import { Trainer } from '../../src/training/trainLoop.ts';
import { resolveTrainConfig } from '../../src/training/trainConfig.ts';
import { makeDataset } from '../../src/io/makeDataset.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

// L(w) = 1/2 w'Aw - b'w over w = [w0 (2 values), w1 (1 value)].
const A = [
  [4, 1, 0.5],
  [1, 3, -1],
  [0.5, -1, 2],
];
const b = [1, -2, 0.5];
const w0 = [0.3, -0.7, 1.1];
const gradAt = (w: number[]) => A.map((row, i) => row.reduce((s, a, j) => s + a * w[j]!, 0) - b[i]!);

function handE(g: number[], rho: number, p: number, w?: number[]): number[] {
  const T = w ? w.map(Math.abs) : g.map(() => 1);
  const tg = g.map((x, i) => T[i]! * x);
  let e: number[];
  if (p === Infinity) e = tg.map((x) => rho * Math.sign(x));
  else {
    const q = p / (p - 1);
    const s = tg.reduce((a, x) => a + Math.abs(x) ** q, 0);
    e = tg.map((x) => (rho * Math.sign(x) * Math.abs(x) ** (q - 1)) / s ** (1 / p));
  }
  return e.map((x, i) => x * T[i]!);
}

function quadraticVars(): Variable[] {
  return tf.tidy(() => [tf.variable(tf.tensor1d(w0.slice(0, 2))), tf.variable(tf.tensor1d(w0.slice(2)))]);
}

function quadraticLoss(vars: Variable[]): () => Scalar {
  return () =>
    tf.tidy(() => {
      const w = tf.reshape(tf.concat([vars[0]!, vars[1]!]), [3, 1]);
      const Aw = tf.matMul(tf.tensor2d(A), w);
      return tf.sub(tf.mul(0.5, tf.sum(tf.mul(w, Aw))), tf.sum(tf.mul(tf.tensor2d(b, [3, 1]), w))) as Scalar;
    });
}

const cases: { name: string; p: number; adaptive: boolean }[] = [
  { name: 'p = 2', p: 2, adaptive: false },
  { name: 'p = inf', p: Infinity, adaptive: false },
  { name: 'p = 3', p: 3, adaptive: false },
  { name: 'adaptive, p = 2', p: 2, adaptive: true },
  { name: 'adaptive, p = 3', p: 3, adaptive: true },
];

for (const c of cases) {
  test(`one SAM step on a quadratic equals the hand formula (${c.name}, with L2)`, (t) => {
    const rho = 0.2;
    const lr = 0.1;
    const l2 = 0.01;
    const before = tf.memory().numTensors;
    const vars = quadraticVars();
    const loss = quadraticLoss(vars);
    const opt = new HeavyBall(vars, 0);
    const r = samGradient(loss, loss, vars, { rho, p: c.p, adaptive: c.adaptive });
    // The variables are back at w after the second pass.
    t.deepEqual([...vars[0]!.dataSync(), ...vars[1]!.dataSync()], w0.map(Math.fround));
    const total = addL2Gradient(r.grads, vars, l2);
    opt.stepInPlace(total, lr);
    tf.dispose([...r.grads, ...total]);
    opt.dispose();

    const g = gradAt(w0);
    const e = handE(g, rho, c.p, c.adaptive ? w0 : undefined);
    const g2 = gradAt(w0.map((x, i) => x + e[i]!));
    const w1 = w0.map((x, i) => x - lr * (g2[i]! + 2 * l2 * x));
    const got = [...vars[0]!.dataSync(), ...vars[1]!.dataSync()];
    got.forEach((x, i) => t.true(Math.abs(x - w1[i]!) < 2e-6, `w1[${i}]: got ${x}, expected ${w1[i]}`));
    // Perturbing for real: w1 differs from a plain gradient step.
    const plain = w0.map((x, i) => x - lr * (g[i]! + 2 * l2 * x));
    t.true(got.some((x, i) => Math.abs(x - plain[i]!) > 1e-4));
    tf.dispose(vars);
    t.is(tf.memory().numTensors, before);
  });
}

test('one Trainer SAM step on linear least squares (mse, full batch) equals the hand formula', (t) => {
  // y = X W + c, loss = mean over all n*k elements of the squared error: a quadratic in (W, c).
  const n = 6;
  const d = 3;
  const k = 2;
  const X = [
    [1, 0, 2],
    [0, 1, -1],
    [2, 1, 0],
    [-1, 0.5, 1],
    [0.3, -2, 0.1],
    [1, 1, 1],
  ];
  const Y = [
    [1, 0],
    [0, 2],
    [1, 1],
    [-1, 0.5],
    [2, -1],
    [0.5, 0.5],
  ];
  const W0 = [
    [0.1, -0.2],
    [0.3, 0.05],
    [-0.4, 0.2],
  ];
  const c0 = [0.05, -0.1];
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [d], units: k, name: 'lin' })] });
  model.setWeights([tf.tensor2d(W0), tf.tensor1d(c0)]);
  const data = makeDataset('hand', [d], Float32Array.from(X.flat()), { kind: 'regression', values: Float32Array.from(Y.flat()), dim: k });
  const rho = 0.3;
  const lr = 0.05;
  const l2 = 0.02;
  const config = resolveTrainConfig({ method: 'sam', epochs: 1, batchSize: n, lr, momentum: 0, l2, rho, p: 2 });
  const trainer = new Trainer({ net: model, data, loss: 'mse', config });

  // Hand: parameters as one vector [W (row-major), c].
  const grad = (W: number[][], c: number[]): number[] => {
    const R = X.map((x, i) => Y[i]!.map((y, j) => x.reduce((s, xv, m) => s + xv * W[m]![j]!, 0) + c[j]! - y));
    const gW = W.map((_, m) => Array.from({ length: k }, (_, j) => (2 / (n * k)) * X.reduce((s, x, i) => s + x[m]! * R[i]![j]!, 0)));
    const gc = Array.from({ length: k }, (_, j) => (2 / (n * k)) * R.reduce((s, r) => s + r[j]!, 0));
    return [...gW.flat(), ...gc];
  };
  const unpack = (v: number[]) => ({ W: [v.slice(0, 2), v.slice(2, 4), v.slice(4, 6)], c: v.slice(6, 8) });
  const w = [...W0.flat(), ...c0];
  const g = grad(W0, c0);
  const e = handE(g, rho, 2);
  const p = unpack(w.map((x, i) => x + e[i]!));
  const g2 = grad(p.W, p.c);
  const w1 = w.map((x, i) => x - lr * (g2[i]! + 2 * l2 * x));
  return trainer.runEpoch().then((stats) => {
    t.is(stats.iterations.lr.length, 1);
    const got = [...model.getWeights()[0]!.dataSync(), ...model.getWeights()[1]!.dataSync()];
    got.forEach((x, i) => t.true(Math.abs(x - w1[i]!) < 2e-6, `param ${i}: got ${x}, expected ${w1[i]}`));
    trainer.dispose();
    model.dispose();
  });
});
