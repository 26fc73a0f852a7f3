/**
 * Every known minimum's golden equals its closed form, recomputed here independently of the
 * generator: with matrix expressions (Kronecker products, softmax Jacobians) where the
 * generator writes per-entry loops, and the two-layer network's Hessian by central finite
 * differences of its matrix-form gradient. Everything in float64 from the files on disk
 * (weights parsed from weights.bin by the manifest, data from the .npy files).
 * Tolerances: 1e-10 relative where both sides are exact float64 closed forms; the finite
 * difference Hessian to 1e-7 absolute.
 */
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { readNpy } from '../../src/io/npy.ts';

const DIR = fileURLToPath(new URL('../../fixtures/known-minima/', import.meta.url));

interface Manifest {
  schema: string;
  minima: { name: string; checkpoint: string; data: string; loss: string; l2: number; parameters: number; goldens: string[]; relations?: string[] }[];
}

async function json<T = any>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(path.join(DIR, file), 'utf8')) as T;
}

/** The weights of a checkpoint, parsed from model.json's manifest and weights.bin (float32). */
async function weights(name: string): Promise<Map<string, { shape: number[]; values: Float64Array }>> {
  const mj = await json<{ weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] }>(`${name}/model/model.json`);
  const out = new Map<string, { shape: number[]; values: Float64Array }>();
  for (const group of mj.weightsManifest) {
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p) => fs.readFile(path.join(DIR, name, 'model', p)))));
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let at = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      out.set(w.name, { shape: w.shape, values: Float64Array.from(all.subarray(at, at + n)) });
      at += n;
    }
  }
  return out;
}

function matrix(values: ArrayLike<number>, rows: number, cols: number): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, values[i * cols + j]!);
  return m;
}

async function npyMatrix(file: string): Promise<Matrix> {
  const a = await readNpy(path.join(DIR, file));
  const cols = a.shape[1] ?? 1;
  return matrix(Array.from(a.data as ArrayLike<number>, Number), a.shape[0]!, cols);
}

function eigDesc(m: Matrix): number[] {
  const sym = m.add(m.transpose()).div(2);
  return new EigenvalueDecomposition(sym, { assumeSymmetric: true }).realEigenvalues.sort((a, b) => b - a);
}

/** Row-major vec. */
function vec(m: Matrix): number[] {
  return m.to2DArray().flat();
}

function sumSquares(m: Matrix): number {
  return vec(m).reduce((s, x) => s + x * x, 0);
}

/** The volume of the unit ball by V_n = 2 pi / n V_(n-2), V_0 = 1, V_1 = 2. */
function unitBallVolume(n: number): number {
  let v = n % 2 === 0 ? 1 : 2;
  for (let k = n % 2 === 0 ? 2 : 3; k <= n; k += 2) v *= (2 * Math.PI) / k;
  return v;
}

function close(t: import('ava').ExecutionContext, got: number, want: number, rtol: number, what: string, atol = 0): void {
  t.true(Number.isFinite(got) && Math.abs(got - want) <= atol + rtol * Math.abs(want), `${what}: ${got} vs ${want}`);
}

function closeAll(t: import('ava').ExecutionContext, got: readonly number[], want: readonly number[], rtol: number, what: string, atol = 0): void {
  t.is(got.length, want.length, `${what}: length`);
  const scale = Math.max(...want.map(Math.abs));
  want.forEach((w, i) => close(t, got[i]!, w, 0, `${what}[${i}]`, atol + rtol * scale));
}

test('the manifest lists the five minima, every file exists, and the zoo is tiny', async (t) => {
  const m = await json<Manifest>('manifest.json');
  t.is(m.schema, 'sharpness/known-minima@1');
  t.deepEqual(
    m.minima.map((x) => x.name),
    ['linear-regression', 'logistic-regression', 'two-layer-linear', 'relu', 'relu-rescaled'],
  );
  let bytes = 0;
  for (const x of m.minima) {
    for (const f of [...x.goldens, ...(x.relations ?? []), `${x.checkpoint}/model.json`, `${x.checkpoint}/weights.bin`, `${x.name}/x.npy`, `${x.name}/y.npy`]) {
      const st = await fs.stat(path.join(DIR, f));
      bytes += st.size;
    }
    for (const g of x.goldens) {
      const doc = await json(g);
      t.regex(doc.schema, /^sharpness\/(hessian|ball|volume|evaluate)@1$/, g);
      t.is(doc.engine.backend, 'closed-form', g);
      t.is(doc.l2, x.l2, g);
      t.truthy(doc.golden.tolerances, g);
      t.is(doc.golden.reproduce.length, 2, g);
    }
  }
  t.true(bytes < 100_000, `${bytes} bytes`);
});

test('linear regression: Hessian (2/(N K)) [X 1]\'[X 1] (x) I_K, trace, ball maxima and averages, ellipsoid log-volume, loss', async (t) => {
  const X = await npyMatrix('linear-regression/x.npy');
  const Y = await npyMatrix('linear-regression/y.npy');
  const w = await weights('linear-regression');
  const [N, d, K] = [X.rows, X.columns, Y.columns];
  const D = (d + 1) * K;
  const A = new Matrix(N, d + 1).setSubMatrix(X, 0, 0).setColumn(d, new Array(N).fill(1));
  const kernel = w.get('dense/kernel')!.values;
  const bias = w.get('dense/bias')!.values;
  const Theta = new Matrix(d + 1, K).setSubMatrix(matrix(kernel, d, K), 0, 0).setRow(d, Array.from(bias));
  // the stored point is the least-squares solution up to float32 rounding
  const best = solve(A.transpose().mmul(A), A.transpose().mmul(Y));
  t.true(vec(Theta.clone().sub(best)).every((x, i) => Math.abs(x) <= 1e-6 * (1 + Math.abs(vec(best)[i]!))));
  const R = A.mmul(Theta).sub(Y);
  const L0 = sumSquares(R) / (N * K);
  const Hb = A.transpose().mmul(A).mul(2 / (N * K));
  const H = Hb.kroneckerProduct(Matrix.eye(K)); // parameters row-major: (j, c) -> j K + c, bias row j = d
  const eig = eigDesc(H);
  const eigB = eigDesc(Hb);
  closeAll(t, eig, eigB.flatMap((l) => new Array<number>(K).fill(l)), 1e-12, 'each eigenvalue of (2/(N K)) A\'A K times');

  const hess = await json('linear-regression/golden/hessian.json');
  closeAll(t, hess.result.eigenvalues, eig, 1e-10, 'golden eigenvalues');
  close(t, hess.result.trace.estimate, H.trace(), 1e-12, 'trace');
  t.is(hess.result.trace.stderr, 0);
  t.is(hess.options.topK, D);

  const lambdaMax = eig[0]!;
  for (const [file, Hs] of [
    ['ball-l2.json', H],
    ['ball-l2-adaptive.json', Matrix.diag(vec(Theta).map(Math.abs)).mmul(H).mmul(Matrix.diag(vec(Theta).map(Math.abs)))],
  ] as const) {
    const ball = await json(`linear-regression/golden/${file}`);
    close(t, ball.result.baseLoss, L0, 1e-12, `${file} baseLoss`);
    const top = eigDesc(Hs)[0]!;
    if (file === 'ball-l2.json') close(t, top, lambdaMax, 1e-12, 'plain ball uses lambda_max');
    t.is(ball.result.adaptive, file.includes('adaptive'));
    t.deepEqual(ball.result.points.map((p: { radius: number }) => p.radius), [0.1, 0.3]);
    for (const p of ball.result.points) {
      const r = p.radius;
      close(t, p.maxLoss, L0 + 0.5 * r * r * top, 1e-12, `${file} r=${r} maxLoss = L0 + r^2 lambda_max / 2`);
      close(t, p.sharpness, 0.5 * r * r * top, 1e-10, `${file} r=${r} sharpness`);
      close(t, p.averageLoss, L0 + (r * r * Hs.trace()) / (2 * (D + 2)), 1e-12, `${file} r=${r} average = L0 + r^2 tr / (2 (D + 2))`);
      t.true(p.maxLossErrorBound < 1e-6 * (p.maxLoss - L0), 'the gradient at the float32 point is negligible');
    }
  }

  // flat volume: {e : g'e + e'He/2 < delta} is an ellipsoid with delta' = delta + g'H^-1 g / 2
  const vol = await json('linear-regression/golden/volume.json');
  const delta = vol.result.delta;
  const g = Matrix.columnVector(vec(A.transpose().mmul(R).mul(2 / (N * K))));
  const hinvg = solve(H, g);
  const deltaEff = delta + 0.5 * g.transpose().mmul(hinvg).get(0, 0);
  t.true(deltaEff - delta < 1e-9, 'the stored point is (nearly) the minimum');
  const logV = Math.log(unitBallVolume(D)) + eig.reduce((s, l) => s + 0.5 * Math.log((2 * deltaEff) / l), 0);
  close(t, vol.result.logVolume, logV, 1e-12, 'log-volume of the ellipsoid');
  t.deepEqual(vol.result.logVolumeCI, [vol.result.logVolume, vol.result.logVolume]);
  t.is(vol.result.dimension, D);
  // the log-volume via the determinant, a second route: log V = log V_D + (D/2) log(2 delta') - (1/2) log det H
  close(t, logV, Math.log(unitBallVolume(D)) + (D / 2) * Math.log(2 * deltaEff) - 0.5 * Math.log(new EigenvalueDecomposition(H).realEigenvalues.reduce((a, b) => a * b, 1)), 1e-10, 'determinant route');

  const ev = await json('linear-regression/golden/evaluate.json');
  close(t, ev.result.models[0].loss, L0, 1e-12, 'evaluate loss');
  t.is(ev.result.models[0].accuracy, null);
});

test('logistic regression: Hessian (1/N) sum kron(a a\', diag p - p p\') + 2 l2 I with the shift directions at exactly 2 l2; loss and accuracy', async (t) => {
  const X = await npyMatrix('logistic-regression/x.npy');
  const labels = (await readNpy(path.join(DIR, 'logistic-regression/y.npy'))).data as Int32Array;
  const w = await weights('logistic-regression');
  const [N, d] = [X.rows, X.columns];
  const K = w.get('dense/bias')!.values.length;
  const D = (d + 1) * K;
  const hess = await json('logistic-regression/golden/hessian.json');
  const l2 = hess.l2;
  t.is(l2, 1e-3);
  const A = new Matrix(N, d + 1).setSubMatrix(X, 0, 0).setColumn(d, new Array(N).fill(1));
  const Theta = new Matrix(d + 1, K).setSubMatrix(matrix(w.get('dense/kernel')!.values, d, K), 0, 0).setRow(d, Array.from(w.get('dense/bias')!.values));
  const Z = A.mmul(Theta);
  let H = Matrix.eye(D).mul(2 * l2);
  let loss = 0;
  let hits = 0;
  const G = new Matrix(N, K);
  for (let i = 0; i < N; i++) {
    const z = Z.getRow(i);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    const p = z.map((v) => Math.exp(v - lse));
    loss += lse - z[labels[i]!]!;
    if (z.indexOf(m) === labels[i]) hits++;
    const pv = Matrix.columnVector(p);
    const S = Matrix.diag(p).sub(pv.mmul(pv.transpose()));
    const a = Matrix.columnVector(A.getRow(i));
    H = H.add(a.mmul(a.transpose()).kroneckerProduct(S).div(N));
    G.setRow(i, p.map((v, c) => v - (c === labels[i] ? 1 : 0)));
  }
  loss = loss / N + l2 * sumSquares(Theta);
  const eig = eigDesc(H);
  closeAll(t, hess.result.eigenvalues, eig, 1e-10, 'golden eigenvalues');
  close(t, hess.result.trace.estimate, H.trace(), 1e-12, 'trace');
  // softmax's shift symmetry: e_j (x) 1_K is an eigenvector with eigenvalue exactly 2 l2
  for (let j = 0; j <= d; j++) {
    const v = Matrix.columnVector(Array.from({ length: D }, (_, p) => (Math.floor(p / K) === j ? 1 : 0)));
    const Hv = H.mmul(v);
    t.true(vec(Hv.sub(v.clone().mul(2 * l2))).every((x) => Math.abs(x) < 1e-14), `shift direction ${j}`);
  }
  hess.result.eigenvalues.slice(-(d + 1)).forEach((l: number) => close(t, l, 2 * l2, 1e-9, 'shift eigenvalue'));
  // the stored point is the optimum up to float32 rounding
  const grad = vec(A.transpose().mmul(G).div(N)).map((x, p) => x + 2 * l2 * vec(Theta)[p]!);
  t.true(Math.hypot(...grad) < 1e-6, `gradient ${Math.hypot(...grad)}`);
  const ev = await json('logistic-regression/golden/evaluate.json');
  close(t, ev.result.models[0].loss, loss, 1e-12, 'loss with the l2 term');
  t.is(ev.result.models[0].accuracy, hits / N);
});

test('two-layer linear network: the Hessian by finite differences of the gradient; h^2 zero eigenvalues from the GL(h) symmetry; U V is the least-squares map', async (t) => {
  const X = await npyMatrix('two-layer-linear/x.npy');
  const Y = await npyMatrix('two-layer-linear/y.npy');
  const w = await weights('two-layer-linear');
  const U0 = w.get('hidden/kernel')!;
  const V0 = w.get('output/kernel')!;
  const [N, d] = [X.rows, X.columns];
  const [h, K] = [U0.shape[1]!, V0.shape[1]!];
  const P = d * h + h * K;
  const split = (x: readonly number[]) => [matrix(x.slice(0, d * h), d, h), matrix(x.slice(d * h), h, K)] as const;
  const x0 = [...U0.values, ...V0.values];
  const gradient = (x: readonly number[]): number[] => {
    const [U, V] = split(x);
    const R = X.mmul(U).mmul(V).sub(Y);
    const s = 2 / (N * K);
    return [...vec(X.transpose().mmul(R).mmul(V.transpose()).mul(s)), ...vec(X.mmul(U).transpose().mmul(R).mul(s))];
  };
  const step = 1e-5;
  const H = new Matrix(P, P);
  for (let q = 0; q < P; q++) {
    const up = x0.slice();
    const dn = x0.slice();
    up[q] += step;
    dn[q] -= step;
    const gu = gradient(up);
    const gd = gradient(dn);
    for (let p = 0; p < P; p++) H.set(p, q, (gu[p]! - gd[p]!) / (2 * step));
  }
  const eig = eigDesc(H);
  const hess = await json('two-layer-linear/golden/hessian.json');
  closeAll(t, hess.result.eigenvalues, eig, 0, 'golden eigenvalues vs finite differences', 1e-7);
  close(t, hess.result.trace.estimate, H.trace(), 0, 'trace', 1e-7);
  // exactly h^2 (near-)zero eigenvalues; the rest well away from zero
  const lmax = eig[0]!;
  t.is(hess.result.eigenvalues.filter((l: number) => Math.abs(l) < 1e-6 * lmax).length, h * h);
  t.true(hess.result.eigenvalues.slice(0, P - h * h).every((l: number) => l > 0.01 * lmax));
  // the symmetry directions (U A, -A V) are in the kernel of the Gauss-Newton matrix: J v = 0
  const [U, V] = split(x0);
  const Ju = X.kroneckerProduct(V.transpose()); // d vec_r(X dU V) / d vec_r(dU)
  const Jv = X.mmul(U).kroneckerProduct(Matrix.eye(K)); // d vec_r(X U dV) / d vec_r(dV)
  const Jfull = new Matrix(N * K, P).setSubMatrix(Ju, 0, 0).setSubMatrix(Jv, 0, d * h);
  for (let a = 0; a < h; a++) {
    for (let b = 0; b < h; b++) {
      const E = Matrix.zeros(h, h);
      E.set(a, b, 1);
      const v = Matrix.columnVector([...vec(U.mmul(E)), ...vec(E.mmul(V).mul(-1))]);
      t.true(Math.hypot(...vec(Jfull.mmul(v))) < 1e-12, `J (U E_${a}${b}, -E_${a}${b} V) = 0`);
    }
  }
  // Gauss-Newton (2/(N K)) J'J: the whole Hessian up to the residual term, negligible at the minimum
  closeAll(t, eigDesc(Jfull.transpose().mmul(Jfull).mul(2 / (N * K))), eig, 0, 'Gauss-Newton spectrum', 1e-6);
  // U V is the least-squares map, and the loss the least-squares residual
  const M = solve(X.transpose().mmul(X), X.transpose().mmul(Y));
  t.true(vec(U.mmul(V).sub(M)).every((x) => Math.abs(x) < 1e-6));
  const ev = await json('two-layer-linear/golden/evaluate.json');
  close(t, ev.result.models[0].loss, sumSquares(X.mmul(U).mmul(V).sub(Y)) / (N * K), 1e-12, 'loss');
  close(t, ev.result.models[0].loss, sumSquares(X.mmul(M).sub(Y)) / (N * K), 1e-6, 'the least-squares residual');
});

test('ReLU network and its rescaled twin: the same function and loss; twin = (a W1, a b1, W2 / a, b2); goldens match a matrix forward pass', async (t) => {
  const X = await npyMatrix('relu/x.npy');
  const labels = (await readNpy(path.join(DIR, 'relu/y.npy'))).data as Int32Array;
  const rel = await json('relu-rescaled/golden/rescaling.json');
  t.is(rel.schema, 'sharpness/known-minima-relation@1');
  const a = rel.a;
  t.is(a, 3);
  const scores = async (name: string) => {
    const w = await weights(name);
    const get = (k: string) => w.get(k)!;
    const W1 = matrix(get('hidden/kernel').values, get('hidden/kernel').shape[0]!, get('hidden/kernel').shape[1]!);
    const W2 = matrix(get('output/kernel').values, get('output/kernel').shape[0]!, get('output/kernel').shape[1]!);
    const b1 = Matrix.rowVector(Array.from(get('hidden/bias').values));
    const b2 = Matrix.rowVector(Array.from(get('output/bias').values));
    const ones = Matrix.ones(X.rows, 1);
    const pre = X.mmul(W1).add(ones.mmul(b1));
    const act = pre.clone();
    for (let i = 0; i < act.rows; i++) for (let j = 0; j < act.columns; j++) act.set(i, j, Math.max(0, act.get(i, j)));
    const Z = act.mmul(W2).add(ones.mmul(b2));
    let loss = 0;
    let hits = 0;
    for (let i = 0; i < Z.rows; i++) {
      const z = Z.getRow(i);
      const m = Math.max(...z);
      loss += m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) - z[labels[i]!]!;
      if (z.indexOf(m) === labels[i]) hits++;
    }
    return { loss: loss / X.rows, accuracy: hits / X.rows, w };
  };
  const base = await scores('relu');
  const twin = await scores('relu-rescaled');
  for (const [name, s] of [
    ['relu', base],
    ['relu-rescaled', twin],
  ] as const) {
    const ev = await json(`${name}/golden/evaluate.json`);
    close(t, ev.result.models[0].loss, s.loss, 1e-10, `${name} loss`);
    t.is(ev.result.models[0].accuracy, s.accuracy, `${name} accuracy`);
  }
  close(t, twin.loss, base.loss, 1e-6, 'the same function: the loss is equal');
  t.is(twin.accuracy, base.accuracy);
  t.true(base.accuracy < 1, 'labels with noise: not separated');
  const f32 = 2 ** -23;
  const scaled = (k: string, by: number) => {
    const x = base.w.get(k)!.values;
    const y = twin.w.get(k)!.values;
    return Array.from(x).every((v, i) => Math.abs(y[i]! - by * v) <= f32 * Math.abs(by * v));
  };
  t.true(scaled('hidden/kernel', a));
  t.true(scaled('hidden/bias', a));
  t.true(scaled('output/kernel', 1 / a));
  t.true(scaled('output/bias', 1));
  t.false(scaled('hidden/kernel', 1), 'the parameters themselves differ');
  t.true(rel.expect.adaptive.equal && rel.expect.plain.differ && rel.expect.loss.equal);
});
