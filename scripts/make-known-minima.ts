/**
 * Rebuilds fixtures/known-minima/: a small zoo of minima whose widths are known in closed
 * form, each a real checkpoint directory with its data (.npy) and golden result files.
 *
 *   node --import=tsx scripts/make-known-minima.ts [--seed S] [--out DIR]
 *
 * Everything is drawn from --seed (default 0) and written deterministically (stable JSON,
 * fixed layer names), so rerunning it reproduces the committed files byte for byte.
 *
 * The goldens are computed here in float64 by closed forms written out by hand (ml-matrix for
 * solves and symmetric eigen-decompositions), never by the toolkit's measures. Weights and
 * data are rounded to float32 first, as they are stored, and every closed form is evaluated
 * at the stored float32 point on the stored float32 data, so the goldens describe exactly the
 * files on disk. The toolkit is used only to write and hash them (saveCheckpoint, writeNpy,
 * loadDataset for the data hash).
 *
 * The minima (see fixtures/known-minima/README.md):
 * - linear-regression: Dense(K) on X [N, d], mse, at the least-squares solution.
 *   H = (2/(N K)) I_K (x) [X 1]'[X 1]; l2-ball maximum L0 + r^2 lambda_max / 2; average over
 *   the ball L0 + r^2 tr(H) / (2 (D + 2)); adaptive ball the same with T H T, T = diag|w|;
 *   flat volume the ellipsoid log V = log V_D + sum_i (1/2) log(2 delta / lambda_i).
 * - logistic-regression: multinomial, Dense(K, softmax), ce + l2 ||w||^2 at its optimum
 *   (Newton in float64): H = (1/N) sum_i A_i'(diag p_i - p_i p_i')A_i + 2 l2 I, whose d + 1
 *   softmax-shift directions have eigenvalue exactly 2 l2.
 * - two-layer-linear: y = x U V (two bias-free Dense layers, hidden width h = K), mse, at a
 *   global minimum U V = M* (least squares). H = (2/(N K)) (J'J + C): J the Jacobian of the
 *   outputs, C the residual term (zero at an exact minimum); h^2 zero eigenvalues from the
 *   GL(h) symmetry U -> U A, V -> A^-1 V.
 * - relu and relu-rescaled: a ReLU network trained by full-batch gradient descent in float64,
 *   and its twin with the hidden layer scaled by a and the output kernel by 1/a: the same
 *   function (loss equal), different plain l2 sharpness, the same adaptive sharpness.
 */
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EigenvalueDecomposition, Matrix, inverse, solve } from 'ml-matrix';
import { initEngine } from '../src/engine/backend.ts';
import { tf, tfl } from '../src/engine/tf.ts';
import { createRng, type Rng } from '../src/engine/rng.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { writeNpy } from '../src/io/npy.ts';
import { writeJsonAtomic } from '../src/io/atomicWrite.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { VERSION } from '../src/version.ts';
import type { KnownMinimum } from '../src/check/knownMinima.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const GENERATOR = 'scripts/make-known-minima.ts';
const SHIPPED = 'fixtures/known-minima';
/** The seed of every measure a golden describes (the generator's --seed only draws the data). */
const MEASURE_SEED = 0;
const f32 = Math.fround;

// ---------------------------------------------------------------------------------------
// float64 helpers

function eigenDescending(H: Float64Array, n: number): number[] {
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.set(i, j, 0.5 * (H[i * n + j]! + H[j * n + i]!));
  return new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues.sort((a, b) => b - a);
}

function traceOf(H: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += H[i * n + i]!;
  return s;
}

/** log Gamma(x + 1) for x a non-negative multiple of 1/2, exactly by the recurrence. */
function logGammaHalfInteger(x: number): number {
  // Gamma(y + 1) = y Gamma(y), down to Gamma(1) = 1 (x an integer) or Gamma(1/2) = sqrt(pi)
  let s = 0;
  let y = x;
  while (y > 0.25) {
    s += Math.log(y);
    y -= 1;
  }
  return y < -0.25 ? s + 0.5 * Math.log(Math.PI) : s;
}

/** log of the volume of the unit ball in D dimensions, pi^(D/2) / Gamma(D/2 + 1). */
function logUnitBall(D: number): number {
  return (D / 2) * Math.log(Math.PI) - logGammaHalfInteger(D / 2);
}

function norm2(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** H^-1 g for a symmetric positive definite H (n x n, row-major). */
function solveSym(H: Float64Array, g: Float64Array, n: number): Float64Array {
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.set(i, j, H[i * n + j]!);
  return Float64Array.from(solve(m, Matrix.columnVector(Array.from(g))).getColumn(0));
}

function roundAll(a: ArrayLike<number>): Float32Array {
  return Float32Array.from(a, (x) => f32(x));
}

// ---------------------------------------------------------------------------------------
// Documents

interface Ref {
  path: string;
  sha256: string;
  parameters: number;
  trainableParameters: number;
}

interface DataRefJson {
  spec: string;
  samples: number;
  sha256: string;
}

interface Tolerances {
  rtol: number;
  atol: number;
  sigma: number;
}

interface GoldenContext {
  name: string;
  seed: number;
  checkpoint: Ref;
  data: DataRefJson;
  loss: string;
  l2: number;
}

/**
 * A golden in the shape of the result document the command writes (schema, options,
 * checkpoint, data, loss, l2, engine, result, cost), plus a `golden` block that says how it
 * was computed and with which tolerances `sharpness selftest` compares.
 */
/** The command line that measures what a golden holds (options the CLI's defaults cover are left out). */
function commandLine(ctx: GoldenContext, command: string, o: Record<string, unknown>): string {
  const parts = [command, ctx.checkpoint.path, '--data', ctx.data.spec];
  if (ctx.l2 !== 0) parts.push('--l2', String(ctx.l2));
  const flag = (name: string, v: unknown) => {
    if (v === true) parts.push(`--${name}`);
    else if (v !== false && v !== undefined) parts.push(`--${name}`, String(v));
  };
  if (command === 'hessian') {
    flag('top-k', o['topK']);
    flag('trace', o['trace']);
    flag('probes', o['probes']);
  } else if (command === 'ball') {
    flag('radius', o['radius']);
    flag('norm', o['norm']);
    flag('adaptive', o['adaptive']);
    flag('steps', o['steps']);
    flag('restarts', o['restarts']);
    flag('samples', o['samples']);
  } else if (command === 'volume') {
    flag('delta', o['delta']);
    flag('directions', o['directions']);
    flag('tolerance', o['tolerance']);
  }
  return parts.join(' ');
}

function golden(
  ctx: GoldenContext,
  goldenFile: string,
  command: string,
  options: Record<string, unknown>,
  result: unknown,
  about: { method: string; tolerances: Tolerances; notes?: string[]; closedForm?: Record<string, unknown> },
): Record<string, unknown> {
  const ckpt = command === 'evaluate' ? { checkpoints: [ctx.checkpoint] } : { checkpoint: ctx.checkpoint };
  const file = `${SHIPPED}/${ctx.name}/golden/${goldenFile}`;
  const t = about.tolerances;
  return {
    schema: `sharpness/${command}@1`,
    tool: { name: 'sharpness', version: VERSION },
    command,
    options: { ...options, data: ctx.data.spec, loss: ctx.loss, l2: ctx.l2, bn: 'eval', seed: MEASURE_SEED },
    seed: MEASURE_SEED,
    ...ckpt,
    data: ctx.data,
    loss: ctx.loss,
    bn: 'eval',
    l2: ctx.l2,
    engine: { backend: 'closed-form', device: 'float64', threads: 1, tfjsVersion: 'none' },
    result,
    cost: { seconds: 0, lossEvaluations: 0, gradients: 0, hvps: 0 },
    golden: {
      minimum: ctx.name,
      generator: GENERATOR,
      generatorSeed: ctx.seed,
      method: about.method,
      tolerances: about.tolerances,
      reproduce: [
        `sharpness ${commandLine(ctx, command, options)} --out ${command}.json`,
        `sharpness check ${command}.json --baseline ${file} --rtol ${t.rtol} --atol ${t.atol} --sigma ${t.sigma}`,
      ],
      ...(about.notes ? { notes: about.notes } : {}),
      ...(about.closedForm ? { closedForm: about.closedForm } : {}),
    },
  };
}

function hessianResult(eigenvalues: number[], trace: number, probes: number): Record<string, unknown> {
  return {
    solver: 'closed-form',
    which: 'largest',
    order: 'descending',
    eigenvalues,
    residuals: eigenvalues.map(() => 0),
    converged: true,
    trace: { method: 'exact', estimate: trace, stderr: 0, samples: probes, hvps: 0 },
    totalHvps: 0,
  };
}

function evaluateResult(ctx: GoldenContext, loss: number, accuracy: number | null): Record<string, unknown> {
  return { models: [{ checkpoint: ctx.checkpoint.path, sha256: ctx.checkpoint.sha256, loss, accuracy }], ensemble: null };
}

// ---------------------------------------------------------------------------------------
// Writing a minimum

interface Written {
  ctx: GoldenContext;
  files: string[];
}

async function writeMinimum(
  outDir: string,
  name: string,
  seed: number,
  model: tfl.LayersModel,
  x: { data: Float32Array; shape: number[] },
  y: { data: Float32Array | Int32Array; shape: number[] },
  meta: { loss: string; l2: number; metrics: Record<string, number>; hyperparameters: Record<string, unknown> },
): Promise<Written> {
  const dir = path.join(outDir, name);
  await fs.mkdir(dir, { recursive: true });
  const saved = await saveCheckpoint(
    model,
    path.join(dir, 'model'),
    { method: 'closed-form', seed, metrics: meta.metrics, hyperparameters: meta.hyperparameters, createdBy: GENERATOR },
    { overwrite: true },
  );
  await writeNpy(path.join(dir, 'x.npy'), x.data, x.shape);
  await writeNpy(path.join(dir, 'y.npy'), y.data, y.shape);
  // Documents name the files where the package ships them, whatever --out is, so that
  // the output does not depend on where it was written.
  const rel = `${SHIPPED}/${name}`;
  const spec = `npy:${rel}/x.npy,${rel}/y.npy`;
  const data = await loadDataset(`npy:x.npy,y.npy`, { cwd: dir }); // for its hash only
  return {
    ctx: {
      name,
      seed,
      checkpoint: {
        path: `${rel}/model`,
        sha256: saved.sha256,
        parameters: saved.paramCount,
        trainableParameters: saved.paramCount,
      },
      data: { spec, samples: data.n, sha256: data.sha256 },
      loss: meta.loss,
      l2: meta.l2,
    },
    files: [`${name}/model`, `${name}/x.npy`, `${name}/y.npy`],
  };
}

async function writeGolden(outDir: string, name: string, file: string, doc: unknown): Promise<string> {
  await fs.mkdir(path.join(outDir, name, 'golden'), { recursive: true });
  await writeJsonAtomic(path.join(outDir, name, 'golden', file), doc);
  return `${name}/golden/${file}`;
}

const L = tfl.layers;

function setWeights(model: tfl.LayersModel, values: { data: Float32Array; shape: number[] }[]): void {
  const ts = values.map((v) => tf.tensor(v.data, v.shape));
  model.setWeights(ts);
  tf.dispose(ts);
}

// ---------------------------------------------------------------------------------------
// 1. Linear regression at its least-squares solution

// The manifest entry is the type the selftest reads.
type ManifestEntry = KnownMinimum;

async function linearRegression(outDir: string, seed: number, rng: Rng): Promise<ManifestEntry> {
  const name = 'linear-regression';
  const N = 64;
  const d = 4;
  const K = 2;
  const D = d * K + K;
  const scales = [1.2, 1.0, 0.9, 0.8];
  const shifts = [0.3, -0.2, 0.0, 0.1];
  const X = new Float32Array(N * d);
  for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) X[i * d + j] = f32(scales[j]! * rng.normal() + shifts[j]!);
  const Wtrue = Array.from({ length: d * K }, () => rng.normal());
  const btrue = Array.from({ length: K }, () => rng.normal());
  const Y = new Float32Array(N * K);
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < K; c++) {
      let s = btrue[c]!;
      for (let j = 0; j < d; j++) s += X[i * d + j]! * Wtrue[j * K + c]!;
      Y[i * K + c] = f32(s + 0.3 * rng.normal());
    }
  }
  // A = [X 1]; least squares theta = (A'A)^-1 A'Y in float64
  const A = new Matrix(N, d + 1);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < d; j++) A.set(i, j, X[i * d + j]!);
    A.set(i, d, 1);
  }
  const Ym = new Matrix(N, K);
  for (let i = 0; i < N; i++) for (let c = 0; c < K; c++) Ym.set(i, c, Y[i * K + c]!);
  const theta = solve(A.transpose().mmul(A), A.transpose().mmul(Ym));
  // stored weights: kernel [d, K] row-major then bias [K], rounded to float32
  const w = new Float64Array(D);
  for (let j = 0; j < d; j++) for (let c = 0; c < K; c++) w[j * K + c] = f32(theta.get(j, c));
  for (let c = 0; c < K; c++) w[d * K + c] = f32(theta.get(d, c));

  const a = (i: number, j: number): number => (j < d ? X[i * d + j]! : 1);
  const residual = (i: number, c: number): number => {
    let z = w[d * K + c]!;
    for (let j = 0; j < d; j++) z += X[i * d + j]! * w[j * K + c]!;
    return z - Y[i * K + c]!;
  };
  let L0 = 0;
  for (let i = 0; i < N; i++) for (let c = 0; c < K; c++) L0 += residual(i, c) ** 2;
  L0 /= N * K;
  // H[(j,c),(j',c')] = (2/(N K)) delta_cc' sum_i a_ij a_ij'; p = j K + c (bias: j = d)
  const idx = (j: number, c: number): number => j * K + c;
  const H = new Float64Array(D * D);
  for (let j = 0; j <= d; j++) {
    for (let jj = 0; jj <= d; jj++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += a(i, j) * a(i, jj);
      for (let c = 0; c < K; c++) H[idx(j, c) * D + idx(jj, c)] = (2 / (N * K)) * s;
    }
  }
  const g = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let c = 0; c < K; c++) for (let j = 0; j <= d; j++) g[idx(j, c)] += ((2 / (N * K)) * a(i, j) * residual(i, c));
  const eig = eigenDescending(H, D);
  const tr = traceOf(H, D);
  const gnorm = norm2(g);

  const model = tfl.sequential({
    name: 'linear_regression',
    layers: [L.dense({ name: 'dense', units: K, inputShape: [d], activation: 'linear' })],
  });
  setWeights(model, [
    { data: roundAll(w.subarray(0, d * K)), shape: [d, K] },
    { data: roundAll(w.subarray(d * K)), shape: [K] },
  ]);
  const { ctx } = await writeMinimum(outDir, name, seed, model, { data: X, shape: [N, d] }, { data: Y, shape: [N, K] }, {
    loss: 'mse',
    l2: 0,
    metrics: { loss: L0 },
    hyperparameters: { N, d, K },
  });
  model.dispose();

  const goldens: string[] = [];
  const eigTol: Tolerances = { rtol: 1e-4, atol: 1e-6, sigma: 3 };
  const probes = 100;
  goldens.push(
    await writeGolden(
      outDir,
      name,
      'hessian.json',
      golden(ctx, 'hessian.json', 'hessian', { topK: D, trace: true, traceMethod: 'hutchinson', probes, solver: 'lanczos', tol: 1e-3 }, hessianResult(eig, tr, probes), {
        method: 'H = (2/(N K)) I_K (x) [X 1]\'[X 1], eigen-decomposed in float64; trace = sum of its diagonal',
        tolerances: eigTol,
        notes: ['each eigenvalue of (2/(N K)) [X 1]\'[X 1] appears K times', 'the loss is exactly quadratic: H does not depend on w'],
      }),
    ),
  );

  // l2 ball: max L0 + r^2 lambda_max / 2, average L0 + r^2 tr(H) / (2 (D + 2))
  const radii = [0.1, 0.3];
  const ballOptions = { radius: radii.join(','), steps: 60, restarts: 2, samples: 200 };
  const ballPoints = (lmax: number, trace: number, gScaledNorm: number) =>
    radii.map((r) => {
      const maxLoss = L0 + 0.5 * r * r * lmax;
      return {
        radius: r,
        maxLoss,
        sharpness: maxLoss - L0,
        keskar: (100 * (maxLoss - L0)) / (1 + L0),
        averageLoss: L0 + (r * r * trace) / (2 * (D + 2)),
        averageStderr: 0,
        samples: ballOptions.samples,
        maxLossErrorBound: r * gScaledNorm,
      };
    });
  const ballTol: Tolerances = { rtol: 1e-4, atol: 1e-7, sigma: 3 };
  const gradientNote = `exact at the least-squares optimum; at the stored float32 weights the gradient is ${gnorm.toExponential(2)} in norm, so the true maximum differs by at most radius * ||t g|| (maxLossErrorBound)`;
  goldens.push(
    await writeGolden(
      outDir,
      name,
      'ball-l2.json',
      golden(
        ctx,
        'ball-l2.json',
        'ball',
        { ...ballOptions, norm: 'l2', adaptive: false },
        { baseLoss: L0, norm: 'l2', adaptive: false, eta: 0, steps: ballOptions.steps, restarts: ballOptions.restarts, samples: ballOptions.samples, points: ballPoints(eig[0]!, tr, gnorm) },
        {
          method: 'max over ||e|| <= r of L0 + e\'He/2 = L0 + r^2 lambda_max / 2; mean over the uniform ball L0 + r^2 tr(H) / (2 (D + 2))',
          tolerances: ballTol,
          notes: [gradientNote],
        },
      ),
    ),
  );
  // adaptive l2: e = T z, ||z|| <= r, T = diag |w|: the same with T H T
  const T = Array.from(w, (v) => Math.abs(v));
  const THT = new Float64Array(D * D);
  for (let p = 0; p < D; p++) for (let q = 0; q < D; q++) THT[p * D + q] = T[p]! * H[p * D + q]! * T[q]!;
  const eigT = eigenDescending(THT, D);
  const Tg = Array.from(g, (v, i) => v * T[i]!);
  goldens.push(
    await writeGolden(
      outDir,
      name,
      'ball-l2-adaptive.json',
      golden(
        ctx,
        'ball-l2-adaptive.json',
        'ball',
        { ...ballOptions, norm: 'l2', adaptive: true },
        {
          baseLoss: L0,
          norm: 'l2',
          adaptive: true,
          eta: 0,
          steps: ballOptions.steps,
          restarts: ballOptions.restarts,
          samples: ballOptions.samples,
          points: ballPoints(eigT[0]!, traceOf(THT, D), norm2(Tg)),
        },
        {
          method: 'e = T z with T = diag|w|, ||z|| <= r: max L0 + r^2 lambda_max(T H T) / 2; mean L0 + r^2 tr(T H T) / (2 (D + 2))',
          tolerances: ballTol,
          notes: [gradientNote],
        },
      ),
    ),
  );

  // flat volume: {e : g'e + e'He/2 < delta} is the ellipsoid (e - c)'H(e - c)/2 < delta', c = -H^-1 g,
  // delta' = delta + g'H^-1 g / 2: log V = log V_D + sum_i (1/2) log(2 delta' / lambda_i)
  const delta = 0.05;
  const hinvg = solveSym(H, g, D);
  let gHg = 0;
  for (let i = 0; i < D; i++) gHg += g[i]! * hinvg[i]!;
  const deltaEff = delta + 0.5 * gHg;
  let logVolume = logUnitBall(D);
  for (const l of eig) logVolume += 0.5 * Math.log((2 * deltaEff) / l);
  const volumeOptions = { delta, directions: 400, norm: 'none', maxRadius: 100, tolerance: 1e-4, bootstrap: 1000 };
  goldens.push(
    await writeGolden(
      outDir,
      name,
      'volume.json',
      golden(
        ctx,
        'volume.json',
        'volume',
        volumeOptions,
        {
          delta,
          baseLoss: L0,
          dimension: D,
          logVolume,
          logVolumeCI: [logVolume, logVolume],
          confidence: 0.95,
          directions: volumeOptions.directions,
          norm: 'none',
          lowerBound: false,
        },
        {
          method: 'ellipsoid: log V = log V_D + sum_i (1/2) log(2 delta / lambda_i), V_D = pi^(D/2) / Gamma(D/2 + 1)',
          tolerances: { rtol: 1e-4, atol: 1e-6, sigma: 3 },
          notes: [
            `at the stored float32 weights delta is replaced by delta + g'H^-1 g / 2 = ${deltaEff} (the region is the same ellipsoid, shifted by -H^-1 g)`,
            'the toolkit estimates log V by Monte Carlo (a lower bound in expectation); check compares it within sigma standard errors, the standard error taken from its confidence interval',
          ],
          closedForm: { logUnitBallVolume: logUnitBall(D), effectiveDelta: deltaEff },
        },
      ),
    ),
  );
  goldens.push(
    await writeGolden(outDir, name, 'evaluate.json', golden(ctx, 'evaluate.json', 'evaluate', {}, evaluateResult(ctx, L0, null), {
      method: 'mean over N K elements of the squared residual, float64',
      tolerances: { rtol: 1e-5, atol: 1e-7, sigma: 3 },
    })),
  );
  return {
    name,
    description: `linear regression Dense(${K}) on ${N} samples of ${d} features (mse) at its least-squares solution: exactly quadratic`,
    checkpoint: ctx.checkpoint.path,
    data: ctx.data.spec,
    loss: 'mse',
    l2: 0,
    parameters: D,
    goldens,
  };
}

// ---------------------------------------------------------------------------------------
// 2. Multinomial logistic regression at its (l2-regularised) optimum

async function logisticRegression(outDir: string, seed: number, rng: Rng): Promise<ManifestEntry> {
  const name = 'logistic-regression';
  const N = 96;
  const d = 3;
  const K = 3;
  const D = d * K + K;
  const l2 = 1e-3;
  const centers = Array.from({ length: K * d }, () => 1.2 * rng.normal());
  const X = new Float32Array(N * d);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const y = i % K;
    labels[i] = y;
    for (let j = 0; j < d; j++) X[i * d + j] = f32(centers[y * d + j]! + rng.normal());
  }
  const a = (i: number, j: number): number => (j < d ? X[i * d + j]! : 1);
  const idx = (j: number, c: number): number => j * K + c;
  const probs = (w: Float64Array, i: number): number[] => {
    const z = Array.from({ length: K }, (_, c) => {
      let s = 0;
      for (let j = 0; j <= d; j++) s += a(i, j) * w[idx(j, c)]!;
      return s;
    });
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((p, q) => p + q, 0);
    return e.map((v) => v / s);
  };
  const lossAt = (w: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < N; i++) s -= Math.log(probs(w, i)[labels[i]!]!);
    let r = 0;
    for (const v of w) r += v * v;
    return s / N + l2 * r;
  };
  const gradAt = (w: Float64Array): Float64Array => {
    const g = new Float64Array(D);
    for (let i = 0; i < N; i++) {
      const p = probs(w, i);
      for (let c = 0; c < K; c++) {
        const r = p[c]! - (labels[i] === c ? 1 : 0);
        for (let j = 0; j <= d; j++) g[idx(j, c)] += (a(i, j) * r) / N;
      }
    }
    for (let k = 0; k < D; k++) g[k] += 2 * l2 * w[k]!;
    return g;
  };
  // H[(j,c),(j',c')] = (1/N) sum_i a_ij a_ij' (p_ic delta_cc' - p_ic p_ic') + 2 l2 delta
  const hessianAt = (w: Float64Array): Float64Array => {
    const H = new Float64Array(D * D);
    for (let i = 0; i < N; i++) {
      const p = probs(w, i);
      for (let c = 0; c < K; c++) {
        for (let cc = 0; cc < K; cc++) {
          const s = (c === cc ? p[c]! : 0) - p[c]! * p[cc]!;
          for (let j = 0; j <= d; j++) for (let jj = 0; jj <= d; jj++) H[idx(j, c) * D + idx(jj, cc)] += (a(i, j) * a(i, jj) * s) / N;
        }
      }
    }
    for (let k = 0; k < D; k++) H[k * D + k] += 2 * l2;
    return H;
  };
  // Newton's method in float64 (the l2 term makes H positive definite)
  let w = new Float64Array(D);
  for (let it = 0; it < 100; it++) {
    const g = gradAt(w);
    if (norm2(g) < 1e-14) break;
    const step = solveSym(hessianAt(w), g, D);
    let t = 1;
    const f0 = lossAt(w);
    let next = w.map((v, k) => v - t * step[k]!);
    while (lossAt(next) > f0 && t > 1e-10) {
      t /= 2;
      next = w.map((v, k) => v - t * step[k]!);
    }
    w = next;
  }
  w = Float64Array.from(w, (v) => f32(v)); // the stored point
  const L0 = lossAt(w);
  const H = hessianAt(w);
  const eig = eigenDescending(H, D);
  const tr = traceOf(H, D);
  let hits = 0;
  let minMargin = Infinity;
  for (let i = 0; i < N; i++) {
    const p = probs(w, i);
    const order = p.map((v, c) => [v, c] as const).sort((u, v) => v[0] - u[0]);
    if (order[0]![1] === labels[i]) hits++;
    minMargin = Math.min(minMargin, Math.log(order[0]![0] / order[1]![0]));
  }
  const accuracy = hits / N;

  const model = tfl.sequential({
    name: 'logistic_regression',
    layers: [L.dense({ name: 'dense', units: K, inputShape: [d], activation: 'softmax' })],
  });
  setWeights(model, [
    { data: roundAll(w.subarray(0, d * K)), shape: [d, K] },
    { data: roundAll(w.subarray(d * K)), shape: [K] },
  ]);
  const { ctx } = await writeMinimum(outDir, name, seed, model, { data: X, shape: [N, d] }, { data: labels, shape: [N] }, {
    loss: 'ce',
    l2,
    metrics: { loss: L0, accuracy },
    hyperparameters: { N, d, K, l2 },
  });
  model.dispose();
  const goldens: string[] = [];
  const probes = 100;
  goldens.push(
    await writeGolden(
      outDir,
      name,
      'hessian.json',
      golden(ctx, 'hessian.json', 'hessian', { topK: D, trace: true, traceMethod: 'hutchinson', probes, solver: 'lanczos', tol: 1e-3 }, hessianResult(eig, tr, probes), {
        method: "H = (1/N) sum_i A_i'(diag p_i - p_i p_i')A_i + 2 l2 I at the stored weights, eigen-decomposed in float64",
        tolerances: { rtol: 1e-4, atol: 1e-6, sigma: 3 },
        notes: [`the d + 1 = ${d + 1} directions that shift every class's logit alike have eigenvalue exactly 2 l2 = ${2 * l2}`, 'run with --l2 0.001'],
        closedForm: { gradientNorm: norm2(gradAt(w)), shiftEigenvalue: 2 * l2 },
      }),
    ),
  );
  goldens.push(
    await writeGolden(outDir, name, 'evaluate.json', golden(ctx, 'evaluate.json', 'evaluate', {}, evaluateResult(ctx, L0, accuracy), {
      method: 'mean over samples of logsumexp(z) - z_y, plus l2 ||w||^2, float64; accuracy by argmax',
      tolerances: { rtol: 1e-5, atol: 1e-7, sigma: 3 },
      notes: [`smallest log-odds margin between the top two classes: ${minMargin.toExponential(3)} (far above float32 rounding)`],
    })),
  );
  return {
    name,
    description: `multinomial logistic regression Dense(${K}, softmax) on ${N} samples of ${d} features (ce + ${l2} ||w||^2) at its optimum`,
    checkpoint: ctx.checkpoint.path,
    data: ctx.data.spec,
    loss: 'ce',
    l2,
    parameters: D,
    goldens,
  };
}

// ---------------------------------------------------------------------------------------
// 3. Two-layer linear network at a global minimum

async function twoLayerLinear(outDir: string, seed: number, rng: Rng): Promise<ManifestEntry> {
  const name = 'two-layer-linear';
  const N = 64;
  const d = 4;
  const h = 2;
  const K = 2;
  const P = d * h + h * K;
  const X = new Float32Array(N * d);
  for (let i = 0; i < X.length; i++) X[i] = f32(rng.normal());
  const Mtrue = Array.from({ length: d * K }, () => rng.normal());
  const Y = new Float32Array(N * K);
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < K; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += X[i * d + j]! * Mtrue[j * K + c]!;
      Y[i * K + c] = f32(s + 0.2 * rng.normal());
    }
  }
  const Xm = new Matrix(N, d);
  for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) Xm.set(i, j, X[i * d + j]!);
  const Ym = new Matrix(N, K);
  for (let i = 0; i < N; i++) for (let c = 0; c < K; c++) Ym.set(i, c, Y[i * K + c]!);
  const Mstar = solve(Xm.transpose().mmul(Xm), Xm.transpose().mmul(Ym)); // d x K
  // a generic point of the minimum's GL(h) orbit: U = M* A, V = A^-1
  const Am = new Matrix([
    [1 + 0.3 * rng.normal(), 0.3 * rng.normal()],
    [0.3 * rng.normal(), 1 + 0.3 * rng.normal()],
  ]);
  const Um = Mstar.mmul(Am);
  const Vm = inverse(Am);
  const U = new Float64Array(d * h);
  const V = new Float64Array(h * K);
  for (let j = 0; j < d; j++) for (let b = 0; b < h; b++) U[j * h + b] = f32(Um.get(j, b));
  for (let b = 0; b < h; b++) for (let c = 0; c < K; c++) V[b * K + c] = f32(Vm.get(b, c));
  // parameter order as the model stores it: U [d, h] row-major (index j h + b), then V [h, K] (d h + b K + c)
  const iu = (j: number, b: number): number => j * h + b;
  const iv = (b: number, c: number): number => d * h + b * K + c;
  const XU = new Float64Array(N * h);
  for (let i = 0; i < N; i++) for (let b = 0; b < h; b++) for (let j = 0; j < d; j++) XU[i * h + b] += X[i * d + j]! * U[iu(j, b)]!;
  const R = new Float64Array(N * K);
  let L0 = 0;
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < K; c++) {
      let z = 0;
      for (let b = 0; b < h; b++) z += XU[i * h + b]! * V[b * K + c]!;
      R[i * K + c] = z - Y[i * K + c]!;
      L0 += R[i * K + c]! ** 2;
    }
  }
  L0 /= N * K;
  // Jacobian of Z_ic: dZ_ic/dU_jb = X_ij V_bc; dZ_ic/dV_bc' = (XU)_ib delta_cc'
  const J = new Float64Array(N * K * P);
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < K; c++) {
      const row = (i * K + c) * P;
      for (let j = 0; j < d; j++) for (let b = 0; b < h; b++) J[row + iu(j, b)] = X[i * d + j]! * V[b * K + c]!;
      for (let b = 0; b < h; b++) J[row + iv(b, c)] = XU[i * h + b]!;
    }
  }
  const H = new Float64Array(P * P);
  const s = 2 / (N * K);
  for (let p = 0; p < P; p++) {
    for (let q = 0; q < P; q++) {
      let acc = 0;
      for (let r = 0; r < N * K; r++) acc += J[r * P + p]! * J[r * P + q]!;
      H[p * P + q] = s * acc;
    }
  }
  // residual term: d2 Z_ic / dU_jb dV_bc = X_ij, so H[U_jb, V_bc] += s (X'R)_jc
  for (let j = 0; j < d; j++) {
    for (let c = 0; c < K; c++) {
      let G = 0;
      for (let i = 0; i < N; i++) G += X[i * d + j]! * R[i * K + c]!;
      for (let b = 0; b < h; b++) {
        H[iu(j, b) * P + iv(b, c)] += s * G;
        H[iv(b, c) * P + iu(j, b)] += s * G;
      }
    }
  }
  const eig = eigenDescending(H, P);
  const tr = traceOf(H, P);

  const model = tfl.sequential({
    name: 'two_layer_linear',
    layers: [
      L.dense({ name: 'hidden', units: h, inputShape: [d], useBias: false, activation: 'linear' }),
      L.dense({ name: 'output', units: K, useBias: false, activation: 'linear' }),
    ],
  });
  setWeights(model, [
    { data: roundAll(U), shape: [d, h] },
    { data: roundAll(V), shape: [h, K] },
  ]);
  const { ctx } = await writeMinimum(outDir, name, seed, model, { data: X, shape: [N, d] }, { data: Y, shape: [N, K] }, {
    loss: 'mse',
    l2: 0,
    metrics: { loss: L0 },
    hyperparameters: { N, d, h, K },
  });
  model.dispose();
  const probes = 100;
  const goldens: string[] = [];
  goldens.push(
    await writeGolden(
      outDir,
      name,
      'hessian.json',
      golden(ctx, 'hessian.json', 'hessian', { topK: P, trace: true, traceMethod: 'hutchinson', probes, solver: 'lanczos', tol: 1e-3 }, hessianResult(eig, tr, probes), {
        method: "H = (2/(N K)) (J'J + C) at the stored weights: J the Jacobian of the outputs X U V, C the residual term (X'R coupling U and V), eigen-decomposed in float64",
        tolerances: { rtol: 1e-4, atol: 2e-5, sigma: 3 },
        notes: [
          `the last h^2 = ${h * h} eigenvalues are the zero directions of the GL(h) symmetry U -> U A, V -> A^-1 V (zero at the exact minimum; here of the size of float32 rounding)`,
          `the other ${P - h * h} are those of the Gauss-Newton matrix (2/(N K)) J'J restricted to the orbit's normal space`,
        ],
        closedForm: { zeroEigenvalues: h * h, hidden: h, fullSpectrum: eig },
      }),
    ),
  );
  goldens.push(
    await writeGolden(outDir, name, 'evaluate.json', golden(ctx, 'evaluate.json', 'evaluate', {}, evaluateResult(ctx, L0, null), {
      method: 'mean over N K elements of the squared residual of X U V, float64 (equal to the least-squares residual)',
      tolerances: { rtol: 1e-5, atol: 1e-7, sigma: 3 },
    })),
  );
  return {
    name,
    description: `two-layer linear network y = x U V (${d} -> ${h} -> ${K}, no biases, mse) at a global minimum U V = least-squares map`,
    checkpoint: ctx.checkpoint.path,
    data: ctx.data.spec,
    loss: 'mse',
    l2: 0,
    parameters: P,
    goldens,
  };
}

// ---------------------------------------------------------------------------------------
// 4. A ReLU network and its rescaled twin

interface ReluWeights {
  W1: Float64Array; // [d, h]
  b1: Float64Array; // [h]
  W2: Float64Array; // [h, K]
  b2: Float64Array; // [K]
}

function reluForward(w: ReluWeights, X: Float32Array, N: number, d: number, h: number, K: number) {
  const Z1 = new Float64Array(N * h);
  const A1 = new Float64Array(N * h);
  const Z2 = new Float64Array(N * K);
  for (let i = 0; i < N; i++) {
    for (let b = 0; b < h; b++) {
      let s = w.b1[b]!;
      for (let j = 0; j < d; j++) s += X[i * d + j]! * w.W1[j * h + b]!;
      Z1[i * h + b] = s;
      A1[i * h + b] = Math.max(0, s);
    }
    for (let c = 0; c < K; c++) {
      let s = w.b2[c]!;
      for (let b = 0; b < h; b++) s += A1[i * h + b]! * w.W2[b * K + c]!;
      Z2[i * K + c] = s;
    }
  }
  return { Z1, A1, Z2 };
}

function ceStats(Z2: Float64Array, labels: Int32Array, N: number, K: number) {
  let loss = 0;
  let hits = 0;
  let minMargin = Infinity;
  const P = new Float64Array(N * K);
  for (let i = 0; i < N; i++) {
    const z = Array.from(Z2.subarray(i * K, (i + 1) * K));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((p, q) => p + q, 0);
    loss += m + Math.log(s) - z[labels[i]!]!;
    e.forEach((v, c) => (P[i * K + c] = v / s));
    const sorted = [...z].sort((u, v) => v - u);
    if (z.indexOf(sorted[0]!) === labels[i]) hits++;
    minMargin = Math.min(minMargin, sorted[0]! - sorted[1]!);
  }
  return { loss: loss / N, accuracy: hits / N, P, minMargin };
}

async function reluPair(outDir: string, seed: number, rng: Rng): Promise<ManifestEntry[]> {
  const N = 96;
  const d = 4;
  const h = 8;
  const K = 3;
  const a = 3;
  const X = new Float32Array(N * d);
  for (let i = 0; i < X.length; i++) X[i] = f32(rng.normal());
  const teacher = Array.from({ length: d * K }, () => rng.normal());
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const z = Array.from({ length: K }, (_, c) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += X[i * d + j]! * teacher[j * K + c]!;
      return s + 1.5 * rng.normal(); // label noise: not separable, so the loss has a finite minimiser
    });
    labels[i] = z.indexOf(Math.max(...z));
  }
  const w: ReluWeights = {
    W1: Float64Array.from({ length: d * h }, () => rng.normal() / Math.sqrt(d)),
    b1: Float64Array.from({ length: h }, () => 0.1),
    W2: Float64Array.from({ length: h * K }, () => rng.normal() / Math.sqrt(h)),
    b2: new Float64Array(K),
  };
  // full-batch gradient descent with heavy-ball momentum in float64 (hand-written backward pass)
  const steps = 20000;
  const lr = 0.02;
  const momentum = 0.9;
  const vel = [new Float64Array(d * h), new Float64Array(h), new Float64Array(h * K), new Float64Array(K)];
  let gnorm = 0;
  for (let step = 0; step < steps; step++) {
    const f = reluForward(w, X, N, d, h, K);
    const { P } = ceStats(f.Z2, labels, N, K);
    const dZ2 = Float64Array.from(P, (p, k) => (p - (labels[Math.floor(k / K)] === k % K ? 1 : 0)) / N);
    const gW2 = new Float64Array(h * K);
    const gb2 = new Float64Array(K);
    const dA1 = new Float64Array(N * h);
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < K; c++) {
        const g = dZ2[i * K + c]!;
        gb2[c] += g;
        for (let b = 0; b < h; b++) {
          gW2[b * K + c] += f.A1[i * h + b]! * g;
          dA1[i * h + b] += w.W2[b * K + c]! * g;
        }
      }
    }
    const gW1 = new Float64Array(d * h);
    const gb1 = new Float64Array(h);
    for (let i = 0; i < N; i++) {
      for (let b = 0; b < h; b++) {
        const g = f.Z1[i * h + b]! > 0 ? dA1[i * h + b]! : 0;
        gb1[b] += g;
        for (let j = 0; j < d; j++) gW1[j * h + b] += X[i * d + j]! * g;
      }
    }
    gnorm = norm2([...gW1, ...gb1, ...gW2, ...gb2]);
    // heavy-ball momentum
    for (const [p, g, v] of [
      [w.W1, gW1, vel[0]!],
      [w.b1, gb1, vel[1]!],
      [w.W2, gW2, vel[2]!],
      [w.b2, gb2, vel[3]!],
    ] as const) {
      for (let k = 0; k < p.length; k++) {
        v[k] = momentum * v[k]! - lr * g[k]!;
        p[k] += v[k]!;
      }
    }
  }
  const round = (v: Float64Array): Float64Array => Float64Array.from(v, (x) => f32(x));
  const base: ReluWeights = { W1: round(w.W1), b1: round(w.b1), W2: round(w.W2), b2: round(w.b2) };
  const twin: ReluWeights = {
    W1: round(base.W1.map((x) => a * x)),
    b1: round(base.b1.map((x) => a * x)),
    W2: round(base.W2.map((x) => x / a)),
    b2: base.b2.slice(),
  };
  const entries: ManifestEntry[] = [];
  const stats: Record<string, ReturnType<typeof ceStats> & { minPreactivation: number }> = {};
  for (const [name, weights] of [
    ['relu', base],
    ['relu-rescaled', twin],
  ] as const) {
    const f = reluForward(weights, X, N, d, h, K);
    const st = ceStats(f.Z2, labels, N, K);
    let minPre = Infinity;
    for (const z of f.Z1) minPre = Math.min(minPre, Math.abs(z));
    stats[name] = { ...st, minPreactivation: minPre };
    const model = tfl.sequential({
      name: 'relu_network',
      layers: [
        L.dense({ name: 'hidden', units: h, inputShape: [d], activation: 'relu' }),
        L.dense({ name: 'output', units: K, activation: 'linear' }),
      ],
    });
    setWeights(model, [
      { data: roundAll(weights.W1), shape: [d, h] },
      { data: roundAll(weights.b1), shape: [h] },
      { data: roundAll(weights.W2), shape: [h, K] },
      { data: roundAll(weights.b2), shape: [K] },
    ]);
    const { ctx } = await writeMinimum(outDir, name, seed, model, { data: X, shape: [N, d] }, { data: labels, shape: [N] }, {
      loss: 'ce',
      l2: 0,
      metrics: { loss: st.loss, accuracy: st.accuracy },
      hyperparameters: { N, d, h, K, gdSteps: steps, learningRate: lr, momentum, ...(name === 'relu-rescaled' ? { rescaledBy: a } : {}) },
    });
    model.dispose();
    const goldens = [
      await writeGolden(outDir, name, 'evaluate.json', golden(ctx, 'evaluate.json', 'evaluate', {}, evaluateResult(ctx, st.loss, st.accuracy), {
        method: 'forward pass relu(x W1 + b1) W2 + b2 and mean logsumexp(z) - z_y in float64 at the stored weights',
        tolerances: { rtol: 1e-5, atol: 1e-7, sigma: 3 },
        notes: [
          `smallest |pre-activation| ${minPre.toExponential(3)} and smallest top-two logit margin ${st.minMargin.toExponential(3)}, both well above float32 rounding (about 1e-6 here)`,
          `trained by ${steps} steps of full-batch gradient descent with momentum (float64) on labels with noise; not an exact minimum (final gradient norm ${gnorm.toExponential(2)}), which the rescaling relation does not need`,
        ],
      })),
    ];
    entries.push({
      name,
      description:
        name === 'relu'
          ? `ReLU network ${d} -> ${h} -> ${K} (ce) trained by full-batch gradient descent (near, not at, a minimum)`
          : `the relu minimum with its hidden layer scaled by a = ${a} and its output kernel by 1/a: the same function`,
      checkpoint: ctx.checkpoint.path,
      data: ctx.data.spec,
      loss: 'ce',
      l2: 0,
      parameters: d * h + h + h * K + K,
      goldens,
    });
  }
  // The relation between the twins, checked by `sharpness selftest`.
  const relation = {
    schema: 'sharpness/known-minima-relation@1',
    relation: 'rescaling',
    description:
      `relu-rescaled is relu with the hidden layer's kernel and bias multiplied by a = ${a} and the output kernel by 1/a. ` +
      'ReLU is positively homogeneous, so the function and the loss are unchanged; the plain l2 ball sees different ' +
      'parameters and gives a different sharpness; the adaptive ball (scaled by |w_i|) maps one problem onto the other, so its values are equal.',
    base: 'relu',
    twin: 'relu-rescaled',
    a,
    scaled: { 'hidden/kernel': a, 'hidden/bias': a, 'output/kernel': 1 / a, 'output/bias': 1 },
    ball: { radius: '0.05,0.2', norm: 'l2', steps: 20, restarts: 2, samples: 32 },
    expect: {
      loss: { equal: true, rtol: 1e-6, closedForm: { relu: stats['relu']!.loss, 'relu-rescaled': stats['relu-rescaled']!.loss } },
      adaptive: { equal: true, rtol: 1e-4, atol: 1e-7, sigma: 3 },
      plain: { differ: true, minRelativeDifference: 0.1, measure: 'sharpness' },
    },
    generator: GENERATOR,
    generatorSeed: seed,
  };
  const rel = await writeGolden(outDir, 'relu-rescaled', 'rescaling.json', relation);
  entries[1]!.relations = [rel];
  return entries;
}

// ---------------------------------------------------------------------------------------

function parseArgs(argv: string[]): { seed: number; out: string } {
  let seed = 0;
  let out = path.join(ROOT, 'fixtures', 'known-minima');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--seed') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`--seed must be an integer >= 0, got ${argv[i]}`);
      seed = v;
    } else if (a === '--out') {
      out = path.resolve(argv[++i] ?? '');
    } else {
      throw new Error(`unknown argument ${a}; usage: node --import=tsx ${GENERATOR} [--seed S] [--out DIR]`);
    }
  }
  return { seed, out };
}

/** fixtures/known-minima/README.md: what each minimum is and how to reproduce each golden. */
async function readme(out: string, minima: ManifestEntry[], seed: number): Promise<string> {
  const lines = [
    '# Known minima',
    '',
    `Written by \`node --import=tsx ${GENERATOR} --seed ${seed}\`; do not edit by hand. Each directory holds a`,
    'checkpoint (`model/`), its data (`x.npy`, `y.npy`) and golden result documents (`golden/*.json`) whose',
    'values are closed forms computed in float64 at the stored float32 weights, not by the toolkit.',
    '`sharpness selftest` runs every measure on them and compares; each golden below can also be',
    'reproduced by hand from the repository root, as its `golden.reproduce` lines say.',
    '',
  ];
  for (const m of minima) {
    lines.push(`## ${m.name}`, '', `${m.description}; ${m.parameters} parameters.`, '');
    for (const g of m.goldens) {
      const doc = JSON.parse(await fs.readFile(path.join(out, g), 'utf8')) as { golden: { method: string; reproduce: string[] } };
      lines.push(`- \`${g}\`: ${doc.golden.method}.`, '', '  ```sh', ...doc.golden.reproduce.map((c) => `  ${c}`), '  ```', '');
    }
    for (const r of m.relations ?? []) {
      const doc = JSON.parse(await fs.readFile(path.join(out, r), 'utf8')) as { description: string };
      lines.push(`- \`${r}\`: ${doc.description}`, '');
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { seed, out } = parseArgs(process.argv.slice(2));
  await initEngine({ backend: 'cpu' });
  const root = createRng(seed);
  await fs.mkdir(out, { recursive: true });
  const minima: ManifestEntry[] = [
    await linearRegression(out, seed, root.fork(1)),
    await logisticRegression(out, seed, root.fork(2)),
    await twoLayerLinear(out, seed, root.fork(3)),
    ...(await reluPair(out, seed, root.fork(4))),
  ];
  const manifest = {
    schema: 'sharpness/known-minima@1',
    generator: GENERATOR,
    seed,
    note: 'paths are relative to this directory; goldens are result documents with a golden block (method, tolerances); run `sharpness selftest` to check them',
    minima: minima.map((m) => ({ ...m, checkpoint: `${m.name}/model`, data: `npy:${m.name}/x.npy,${m.name}/y.npy` })),
  };
  await writeJsonAtomic(path.join(out, 'manifest.json'), manifest);
  await fs.writeFile(path.join(out, 'README.md'), await readme(out, minima, seed));
  for (const m of minima) process.stdout.write(`${m.name}: ${m.parameters} parameters, ${m.goldens.length + (m.relations?.length ?? 0)} golden files\n`);
}

try {
  await main();
} catch (e) {
  process.stderr.write(`make-known-minima: ${(e as Error).message}\n`);
  process.exit(1);
}
