/**
 * Power iteration (PyHessian) vs Lanczos: HVPs and seconds to reach 1e-3 relative accuracy
 * on lambda_max, and what each spends under its own stopping rule; Hutchinson vs Hutch++
 * at equal HVP budgets. Run:
 *   node --import=tsx bench/hessian.bench.ts [--backend cpu|wasm] [--d 5000] [--seeds 5]
 *   node --import=tsx bench/hessian.bench.ts --checkpoint runs/sgd/final --data mnist:train:2000 [--targets 1e-3]
 *     (a saved model instead of the built-in operators: power vs Lanczos only)
 *
 * Operators:
 * - quadratic, d = 4096: H = P diag(lambda) P' with P = W S W (W the normalised
 *   Walsh-Hadamard matrix, S random signs): fully dense eigenvectors, HVP in O(d log d).
 *   Spectra shaped like a trained network's, 10 outliers over a bulk near zero with a small
 *   negative part: (a) separated outliers (ratios ~0.85), (b) a top cluster (30 eigenvalues
 *   spread over [80, 100], as when outliers merge with the bulk edge).
 * - an MLP 2-32-32-3 (1,251 weights) trained 300 full-batch SGD steps on synthetic:blobs
 *   (cross-entropy, 300 samples); lambda_max from Lanczos at tol 1e-7.
 *
 * "to 1e-3" = the first HVP after which the estimate (power: v'Hv of the current vector;
 * Lanczos: the top Ritz value of T_m) is within 1e-3 of lambda_max relative, with the
 * wall time at that HVP; "to 1e-5" likewise. Medians over seeds.
 */
import { tf, tfl } from '../src/engine/tf.ts';
import { initEngine } from '../src/engine/backend.ts';
import * as pv from '../src/engine/paramVector.ts';
import { createRng, normalArray } from '../src/engine/rng.ts';
import { generateSynthetic } from '../src/io/synthetic.ts';
import { createModelObjective } from '../src/objective/modelObjective.ts';
import { Loss } from '../src/objective/losses.ts';
import { hvpOperator, operatorFromFunction, type HvpOperator } from '../src/hessian/HvpOperator.ts';
import { lanczosProcess, ritz } from '../src/hessian/lanczos.ts';
import { lanczosEigenpairs } from '../src/hessian/lanczosEigenpairs.ts';
import { powerIteration } from '../src/hessian/powerIteration.ts';
import { hutchinson, hutchPlusPlus } from '../src/hessian/hutchinson.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const backend = arg('backend', 'cpu') as 'cpu' | 'wasm';
const D = Number(arg('d', '4096'));
const SEEDS = Number(arg('seeds', '5'));
const TARGETS = arg('targets', '1e-3,1e-5').split(',').map(Number);
const CHECKPOINT = arg('checkpoint', '');
const DATA = arg('data', 'mnist:train:2000');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
};

/** In-place normalised fast Walsh-Hadamard transform (d a power of 2): orthogonal and symmetric. */
function fwht(x: Float64Array): void {
  const d = x.length;
  for (let h = 1; h < d; h *= 2) {
    for (let i = 0; i < d; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const a = x[j]!;
        const b = x[j + h]!;
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
  const s = 1 / Math.sqrt(d);
  for (let i = 0; i < d; i++) x[i] = x[i]! * s;
}

/** H = P diag(lambda) P', P = W S W (entries ~ 1/sqrt(d): dense eigenvectors); float64 inside, float32 out. */
function hadamardQuadratic(eigenvalues: readonly number[], seed: number): HvpOperator {
  const d = eigenvalues.length;
  if ((d & (d - 1)) !== 0) throw new Error(`bench: --d must be a power of 2, got ${d}`);
  const rng = createRng(seed);
  const s2 = Float64Array.from({ length: d }, () => rng.sign());
  return operatorFromFunction({
    shapes: [[d]],
    apply: (v) => {
      const x = Float64Array.from(v[0]!.dataSync());
      // P' x = W S W x, then Lambda, then P y
      fwht(x);
      for (let i = 0; i < d; i++) x[i] = x[i]! * s2[i]!;
      fwht(x);
      for (let i = 0; i < d; i++) x[i] = x[i]! * eigenvalues[i]!;
      fwht(x);
      for (let i = 0; i < d; i++) x[i] = x[i]! * s2[i]!;
      fwht(x);
      return [tf.tensor1d(Float32Array.from(x))];
    },
  });
}

function bulk(n: number, rng: ReturnType<typeof createRng>): number[] {
  return Array.from({ length: n }, () => (rng.uniform() < 0.25 ? -0.3 * rng.uniform() : -0.8 * Math.log(1 - rng.uniform())));
}

const SPECTRA: { name: string; make: (d: number) => number[] }[] = [
  {
    name: '(a) 10 separated outliers (100, 85, 72, ...) over a bulk in [-0.3, ~8]',
    make: (d) => {
      const top = [100, 85, 72, 61, 52, 44, 37, 31, 26, 22];
      return [...top, ...bulk(d - top.length, createRng(7))];
    },
  },
  {
    name: '(b) top cluster: 30 eigenvalues spread over [80, 100], bulk as in (a)',
    make: (d) => {
      const rng = createRng(8);
      const top = [100, ...Array.from({ length: 29 }, () => 80 + 19.5 * rng.uniform())];
      return [...top, ...bulk(d - top.length, rng)];
    },
  },
];

interface Trace {
  hvps: number;
  seconds: number;
}

class Reached extends Error {}

/** HVPs and seconds until the power-iteration estimate is within each target of lambdaMax. */
function powerToTargets(op: HvpOperator, lambdaMax: number, seed: number, budget: number): (Trace | null)[] {
  const hits: (Trace | null)[] = TARGETS.map(() => null);
  let n = 0;
  const t0 = performance.now();
  const spy = operatorFromFunction({
    shapes: op.shapes,
    names: op.names,
    apply: (v) => {
      const hv = op.apply(v);
      n++;
      const err = Math.abs(pv.dot(v, hv) / pv.dot(v, v) - lambdaMax) / Math.abs(lambdaMax);
      TARGETS.forEach((tgt, i) => {
        if (!hits[i] && err <= tgt) hits[i] = { hvps: n, seconds: (performance.now() - t0) / 1000 };
      });
      if (hits.every(Boolean)) {
        pv.dispose(hv);
        throw new Reached();
      }
      return hv;
    },
  });
  try {
    powerIteration(spy, { topK: 1, tol: 1e-15, maxIter: budget, seed });
  } catch (e) {
    if (!(e instanceof Reached)) throw e;
  }
  return hits;
}

/** The same for the top Ritz value of the Lanczos process (start as lanczosEigenpairs' first run). */
function lanczosToTargets(op: HvpOperator, lambdaMax: number, seed: number, budget: number): (Trace | null)[] {
  const hits: (Trace | null)[] = TARGETS.map(() => null);
  const t0 = performance.now();
  const start = tf.tensor1d(normalArray(createRng(seed).fork(0), op.dimension));
  const run = lanczosProcess(op, {
    steps: budget,
    start,
    where: 'bench',
    stop: (t) => {
      const err = Math.abs(ritz(t).values[0]! - lambdaMax) / Math.abs(lambdaMax);
      TARGETS.forEach((tgt, i) => {
        if (!hits[i] && err <= tgt) hits[i] = { hvps: t.alphas.length, seconds: (performance.now() - t0) / 1000 };
      });
      return hits.every(Boolean);
    },
  });
  run.basis.dispose();
  start.dispose();
  return hits;
}

function timed<T>(fn: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

function compareSolvers(name: string, op: HvpOperator, lambdaMax: number, extra = ''): void {
  const p: (Trace | null)[][] = [];
  const l: (Trace | null)[][] = [];
  const stopP: { hvps: number; s: number; err: number; conv: boolean }[] = [];
  const stopL: { hvps: number; s: number; err: number; conv: boolean }[] = [];
  const stopL3: { hvps: number; s: number }[] = [];
  const stopP3: { hvps: number; s: number; err: number }[] = [];
  for (let seed = 0; seed < SEEDS; seed++) {
    p.push(powerToTargets(op, lambdaMax, seed, 3000));
    l.push(lanczosToTargets(op, lambdaMax, seed, 300));
    const ps = timed(() => powerIteration(op, { topK: 1, seed })); // PyHessian defaults: tol 1e-3, 100 HVPs
    stopP.push({ hvps: ps.value.hvps, s: ps.seconds, err: Math.abs(ps.value.eigenvalues[0]! - lambdaMax) / Math.abs(lambdaMax), conv: ps.value.converged });
    const ls = timed(() => lanczosEigenpairs(op, { topK: 1, tol: 1e-3, seed }));
    stopL.push({ hvps: ls.value.hvps, s: ls.seconds, err: Math.abs(ls.value.eigenvalues[0]! - lambdaMax) / Math.abs(lambdaMax), conv: ls.value.converged });
    const p3 = timed(() => powerIteration(op, { topK: 3, seed }));
    stopP3.push({ hvps: p3.value.hvps, s: p3.seconds, err: Math.abs(p3.value.eigenvalues[0]! - lambdaMax) / Math.abs(lambdaMax) });
    const l3 = timed(() => lanczosEigenpairs(op, { topK: 3, tol: 1e-3, seed }));
    stopL3.push({ hvps: l3.value.hvps, s: l3.seconds });
  }
  const f = (x: number, digits = 3) => x.toFixed(digits);
  console.log(`\n## ${name}\n   d = ${op.dimension}, lambda_max = ${f(lambdaMax, 4)}${extra}; ${SEEDS} seeds, medians`);
  TARGETS.forEach((tgt, i) => {
    const ph = p.map((x) => x[i]).filter((x): x is Trace => x !== null);
    const lh = l.map((x) => x[i]).filter((x): x is Trace => x !== null);
    const show = (hits: Trace[]) =>
      hits.length === 0 ? 'not reached' : `${median(hits.map((x) => x.hvps))} HVPs, ${f(median(hits.map((x) => x.seconds)))} s`;
    const ratio = ph.length && lh.length ? f(median(lh.map((x) => x.hvps)) / median(ph.map((x) => x.hvps)), 2) : 'n/a';
    console.log(`   to ${tgt.toExponential(0)} relative on lambda_max: power ${show(ph)} (${ph.length}/${SEEDS} reached in 3000 HVPs) | ` +
      `Lanczos ${show(lh)} (${lh.length}/${SEEDS} in 300) | HVP ratio Lanczos/power ${ratio}`);
  });
  console.log(`   own stopping rule, top-1: power (PyHessian: tol 1e-3, max 100) ${median(stopP.map((x) => x.hvps))} HVPs, ${f(median(stopP.map((x) => x.s)))} s, ` +
    `rel. error ${median(stopP.map((x) => x.err)).toExponential(1)}, converged ${stopP.filter((x) => x.conv).length}/${SEEDS} | ` +
    `Lanczos (residual <= 1e-3 lambda) ${median(stopL.map((x) => x.hvps))} HVPs (incl. 1 confirming), ${f(median(stopL.map((x) => x.s)))} s, rel. error ${median(stopL.map((x) => x.err)).toExponential(1)}, converged ${stopL.filter((x) => x.conv).length}/${SEEDS}`);
  console.log(`   own stopping rule, top-3: power ${median(stopP3.map((x) => x.hvps))} HVPs, ${f(median(stopP3.map((x) => x.s)))} s (lambda_1 rel. error ${median(stopP3.map((x) => x.err)).toExponential(1)}) | ` +
    `Lanczos (with its verification restart) ${median(stopL3.map((x) => x.hvps))} HVPs, ${f(median(stopL3.map((x) => x.s)))} s`);
}

function compareTraces(name: string, op: HvpOperator, exact: number, budgets: number[]): void {
  console.log(`\n## trace, ${name}: exact ${exact.toFixed(3)}; RMS error over ${SEEDS * 2} seeds at equal HVP budgets`);
  for (const b of budgets) {
    let e1 = 0;
    let e2 = 0;
    const n = SEEDS * 2;
    for (let seed = 0; seed < n; seed++) {
      e1 += (hutchinson(op, { probes: b, seed }).estimate - exact) ** 2;
      e2 += (hutchPlusPlus(op, { probes: b, seed }).estimate - exact) ** 2;
    }
    console.log(`  ${b} HVPs: Hutchinson ${Math.sqrt(e1 / n).toFixed(3)}, Hutch++ ${Math.sqrt(e2 / n).toFixed(3)}`);
  }
}

async function trainedMlp(): Promise<{ op: HvpOperator; dispose: () => void }> {
  const data = generateSynthetic('blobs', 300, 0);
  const L = tfl.layers;
  const model = tfl.sequential({
    layers: [L.dense({ units: 32, inputShape: [2], activation: 'tanh' }), L.dense({ units: 32, activation: 'tanh' }), L.dense({ units: 3 })],
  });
  const rng = createRng(1);
  for (const w of model.weights) {
    const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
    const fanIn = w.shape.length > 1 ? (w.shape[0] as number) : 1;
    const scale = w.shape.length > 1 ? 1 / Math.sqrt(fanIn) : 0;
    w.write(tf.tensor(Float32Array.from({ length: n }, () => scale * rng.normal()), w.shape as number[]));
  }
  const objective = await createModelObjective(model, data, { loss: Loss.ce });
  let w: tf.Tensor[] = pv.clone(objective.params);
  for (let i = 0; i < 300; i++) {
    const { grad } = objective.grad(w);
    const next = pv.axpy(-0.5, grad, w);
    pv.dispose(grad, w);
    w = next;
  }
  console.log(`\nMLP trained: loss ${objective.loss(objective.params).toFixed(4)} -> ${objective.loss(w).toFixed(4)}`);
  return {
    op: hvpOperator(objective, w),
    dispose: () => {
      pv.dispose(w);
      objective.dispose();
      model.dispose();
    },
  };
}

/** Power vs Lanczos on a saved checkpoint (e.g. the demo's MNIST MLP). */
async function onCheckpoint(): Promise<void> {
  const { loadLayers: loadCheckpoint } = await import('../src/formats/loadCheckpoint.ts');
  const { loadDataset } = await import('../src/io/dataset.ts');
  const { resolveLoss } = await import('../src/objective/resolveLoss.ts');
  const ck = await loadCheckpoint(CHECKPOINT);
  const data = await loadDataset(DATA);
  const objective = await createModelObjective(ck.model, data, { loss: resolveLoss('auto', data, ck.model) });
  const op = hvpOperator(objective);
  const ref = lanczosEigenpairs(op, { topK: 2, tol: 1e-7, maxIter: 300, seed: 99 });
  compareSolvers(`${CHECKPOINT} on ${DATA} (${op.dimension} weights)`, op, ref.eigenvalues[0]!, `, lambda_2 = ${ref.eigenvalues[1]!.toFixed(4)}`);
  objective.dispose();
  ck.model.dispose();
}

async function main(): Promise<void> {
  const info = await initEngine({ backend });
  console.log(`# Hessian solvers bench: backend ${info.backend}, Node ${process.version}`);
  if (CHECKPOINT) return onCheckpoint();
  for (const [i, spec] of SPECTRA.entries()) {
    const eig = spec.make(D);
    const op = hadamardQuadratic(eig, 3);
    compareSolvers(`quadratic, ${spec.name}`, op, 100);
    if (i === 0) compareTraces(`quadratic ${spec.name.slice(0, 3)}`, op, eig.reduce((a, b) => a + b, 0), [30, 90, 300]);
  }
  const mlp = await trainedMlp();
  const ref = lanczosEigenpairs(mlp.op, { topK: 2, tol: 1e-7, maxIter: 1000, seed: 99 });
  compareSolvers('MLP 2-32-32-3 on synthetic:blobs after 300 SGD steps', mlp.op, ref.eigenvalues[0]!, `, lambda_2 = ${ref.eigenvalues[1]!.toFixed(4)}`);
  // the exact trace from the diagonal, one HVP per coordinate
  let exact = 0;
  for (let j = 0; j < mlp.op.dimension; j++) {
    const e = new Float32Array(mlp.op.dimension);
    e[j] = 1;
    const ej = pv.unflatten(e, mlp.op.shapes);
    const col = mlp.op.apply(ej);
    exact += pv.flatten(col)[j]!;
    pv.dispose(ej, col);
  }
  compareTraces('MLP', mlp.op, exact, [30, 90]);
  mlp.dispose();
}

await main();
