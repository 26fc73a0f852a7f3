/**
 * Result documents shaped as the commands write them (ball, volume, hessian, evaluate,
 * landscape rays / line / plane, train and its training log), for three solutions, from
 * the synthetic figure inputs.
 */
import * as S from './sampleInputs.ts';

export const CHECKPOINTS = {
  SGD: { path: 'runs/sgd/final', sha256: 'a'.repeat(64), parameters: 101770, trainableParameters: 101770 },
  SAM: { path: 'runs/sam/final', sha256: 'b'.repeat(64), parameters: 101770, trainableParameters: 101770 },
  SWA: { path: 'runs/swa/final', sha256: 'c'.repeat(64), parameters: 101770, trainableParameters: 101770 },
} as const;
type Name = keyof typeof CHECKPOINTS;
const NAMES: Name[] = ['SGD', 'SAM', 'SWA'];

function header(command: string, extra: Record<string, unknown> = {}) {
  return {
    schema: `sharpness/${command}@1`,
    tool: { name: 'sharpness', version: '0.1.0' },
    command,
    options: { seed: 0 },
    seed: 0,
    ...extra,
    data: { spec: 'mnist:test:2000', samples: 2000, sha256: 'd'.repeat(64) },
    loss: 'ce',
    bn: 'eval',
    l2: 0,
    engine: { backend: 'wasm', device: 'cpu', threads: 1, tfjsVersion: '4.22.0' },
  };
}

const cost = { seconds: 1, lossEvaluations: 10, gradients: 5, hvps: 0 };

export function ballDocument(name: Name, norm: 'l2' | 'box' = 'l2') {
  const s = S.sampleBall().series.find((x) => x.label === name && x.norm === norm)!;
  return {
    ...header('ball', { checkpoint: CHECKPOINTS[name] }),
    result: {
      baseLoss: s.baseLoss,
      norm,
      adaptive: false,
      eta: 0,
      steps: 20,
      restarts: 2,
      samples: 32,
      points: s.points.map((p) => ({
        ...p,
        sharpness: p.maxLoss - s.baseLoss,
        samples: 32,
        perturbationNorm: p.radius,
        perturbationSetNorm: p.radius,
        iterations: 20,
        gradients: 20,
        lossEvaluations: 52,
        restarts: 2,
        bestRestart: 0,
      })),
      seed: 0,
      cost: { lossEvaluations: 100, gradients: 60 },
    },
    cost,
  };
}

export function volumeDocument(name: Name) {
  const s = S.sampleVolume(40).series.find((x) => x.label === name)!;
  return {
    ...header('volume', { checkpoint: CHECKPOINTS[name] }),
    result: {
      dimension: s.dimension,
      logVolume: -1000 * (NAMES.indexOf(name) + 1),
      logVolumeCI: [-1000 * (NAMES.indexOf(name) + 1) - 40, -1000 * (NAMES.indexOf(name) + 1) + 30],
      radii: s.radii,
      censored: { count: s.censored.length, indices: s.censored },
      quantiles: { p05: 0, p25: 0, p50: 0, p75: 0, p95: 0 },
      geometricMeanRadius: s.geometricMeanRadius,
      lowerBound: s.censored.length > 0,
      delta: s.delta,
      baseLoss: 0.02,
      confidence: 0.95,
      directions: s.radii.length,
      tolerance: 1e-3,
      maxRadius: s.maxRadius,
      initialRadius: 0.01,
      norm: s.norm,
      ignore: [],
      bootstrap: 1000,
      seed: 0,
      cost: { lossEvaluations: 400 },
    },
    cost,
  };
}

export function hessianDocument(name: Name) {
  const s = S.sampleSpectra(5).solutions.find((x) => x.label === name)!;
  return {
    ...header('hessian', { checkpoint: CHECKPOINTS[name] }),
    result: {
      solver: 'lanczos',
      which: 'largest',
      eigenvalues: s.eigenvalues,
      residuals: s.eigenvalues.map(() => 1e-3),
      ritzResiduals: s.eigenvalues.map(() => 1e-4),
      convergedEach: s.eigenvalues.map(() => true),
      converged: true,
      iterations: 40,
      hvps: 42,
      seed: 0,
      tol: 1e-3,
      maxIter: 200,
      order: 'descending',
      trace: { method: 'hutchinson', estimate: s.trace!.estimate, stderr: s.trace!.stderr, samples: 100, hvps: 100 },
      density: { nodes: [[0]], weights: [[1]], grid: s.density!.grid, values: s.density!.values, sigma: 0.5, runs: 1, steps: 80, hvps: 80 },
      totalHvps: 222,
    },
    cost,
  };
}

export function evaluateDocument(names: Name[] = NAMES, ensemble = true) {
  const acc: Record<Name, number> = { SGD: 0.9312, SAM: 0.9401, SWA: 0.9455 };
  return {
    ...header('evaluate', { checkpoints: names.map((n) => CHECKPOINTS[n]) }),
    result: {
      models: names.map((n) => ({ checkpoint: CHECKPOINTS[n].path, sha256: CHECKPOINTS[n].sha256, loss: 0.2, accuracy: acc[n] })),
      ensemble: ensemble ? { loss: 0.18, accuracy: 0.951, members: names.length } : null,
    },
    cost,
  };
}

const values = (v: { trainLoss: number | null; trainError?: number | null; evalLoss?: number | null; evalError?: number | null }) => ({
  trainLoss: v.trainLoss,
  trainError: v.trainError ?? null,
  evalLoss: v.evalLoss ?? null,
  evalError: v.evalError ?? null,
});

export function raysDocument(name: Name) {
  const s = S.sampleRays(3, 11).solutions.find((x) => x.label === name)!;
  const c = CHECKPOINTS[name];
  const xs = s.rays[0]!.points.map((p) => p.distance);
  return {
    ...header('landscape', { checkpoint: c }),
    result: {
      kind: 'rays',
      fingerprint: 'f'.repeat(16),
      axes: { x: { name: 't', values: xs } },
      points: s.rays.flatMap((r, ri) => r.points.map((p, j) => ({ i: ri * xs.length + j, ray: ri, x: p.distance, distance: p.distance, ...values(p) }))),
      rays: s.rays.map((r) => ({ index: r.index, norm: 1, series: r.points.map((p) => ({ t: p.distance, distance: p.distance, ...values(p) })) })),
      checkpoints: [{ label: name.toLowerCase(), path: c.path, sha256: c.sha256, x: 0, ...values(s.rays[0]!.points[0]!) }],
      base: values(s.rays[0]!.points[0]!),
      directions: { norm: 'filter', ignore: ['bias'], seed: 0 },
      bn: 'eval',
      summary: { points: 33, nonFinite: 0, minTrainLoss: 0, maxTrainLoss: 1 },
    },
    cost,
  };
}

export function lineDocument(a: Name = 'SWA', b: Name = 'SGD') {
  const line = S.sampleLine();
  return {
    ...header('landscape', { checkpoint: CHECKPOINTS[a], checkpoints: [CHECKPOINTS[a], CHECKPOINTS[b]] }),
    result: {
      kind: 'line',
      fingerprint: 'f'.repeat(16),
      axes: { x: { name: 'alpha', values: line.points.map((p) => p.alpha) } },
      points: line.points.map((p, i) => ({ i, x: p.alpha, distance: p.alpha * 10, ...values(p) })),
      checkpoints: [
        { label: a.toLowerCase(), path: CHECKPOINTS[a].path, sha256: CHECKPOINTS[a].sha256, x: 0, ...values(line.points[10]!) },
        { label: b.toLowerCase(), path: CHECKPOINTS[b].path, sha256: CHECKPOINTS[b].sha256, x: 1, ...values(line.points[30]!) },
      ],
      base: values(line.points[10]!),
      line: { length: 10 },
      bn: 'eval',
      summary: { points: 41, nonFinite: 0, minTrainLoss: 0, maxTrainLoss: 1 },
    },
    cost,
  };
}

export function planeDocument(n = 15) {
  const plane = S.samplePlane(n);
  const metric = (name: string) => plane.metrics.find((m) => m.name === name)?.values;
  const loss = metric('trainLoss')!;
  const err = metric('evalError')!;
  const points = plane.ys.flatMap((y, j) =>
    plane.xs.map((x, i) => ({ i: j * n + i, x, y, trainLoss: loss[j]![i]!, trainError: null, evalLoss: null, evalError: err[j]![i]! })),
  );
  return {
    ...header('landscape', { checkpoint: CHECKPOINTS.SGD, checkpoints: NAMES.map((k) => CHECKPOINTS[k]) }),
    result: {
      kind: 'plane',
      fingerprint: 'f'.repeat(16),
      axes: { x: { name: 'x', values: plane.xs }, y: { name: 'y', values: plane.ys } },
      points,
      checkpoints: plane.checkpoints.map((c) => ({
        label: c.label.toLowerCase(),
        path: CHECKPOINTS[c.label as Name].path,
        sha256: CHECKPOINTS[c.label as Name].sha256,
        x: c.x,
        y: c.y,
        trainLoss: 0.02,
        trainError: null,
        evalLoss: null,
        evalError: 0.06,
      })),
      base: { trainLoss: 0.02, trainError: null },
      plane: { origin: 'a', u: 'b', v: 'c' },
      bn: 'eval',
      summary: { points: n * n, nonFinite: 0, minTrainLoss: 0, maxTrainLoss: 1 },
    },
    cost,
  };
}

/** A training log (train-log.json) of one of the sample runs. */
export function trainLogDocument(name: 'SGD' | 'SWA' | 'SAM') {
  const run = S.sampleTraining(30, 8).runs.find((r) => r.label === name)!;
  const c = CHECKPOINTS[name];
  const method = name.toLowerCase();
  return {
    schema: 'sharpness/train-log@1',
    tool: 'sharpness 0.1.0',
    method,
    hyperparameters: {},
    seed: 0,
    model: 'mlp',
    parent: null,
    loss: 'ce',
    data: { spec: 'mnist:train', samples: 60000, sha256: 'e'.repeat(64) },
    evalData: { spec: 'mnist:test', samples: 10000, sha256: 'd'.repeat(64) },
    batchesPerEpoch: 8,
    epochs: run.epochs.map((e) => ({
      epoch: e.epoch,
      trainLoss: e.trainLoss,
      trainAccuracy: e.trainAcc,
      evalLoss: e.evalLoss,
      evalAccuracy: e.evalAcc,
      lr: e.lr,
      seconds: 1,
      ...(e.averageEvalAcc != null ? { swa: { count: e.epoch - 15, evalLoss: 0.1, evalAccuracy: e.averageEvalAcc } } : {}),
    })),
    iterations: { lr: run.lr!.map((p) => p.lr), loss: run.lr!.map(() => 0.1) },
    done: true,
    solutions: { final: { path: c.path, sha256: c.sha256, parameters: c.parameters, train: { loss: 0.01, accuracy: 0.99 }, eval: { loss: 0.2, accuracy: 0.93 } } },
  };
}

/** The `train` result document, which points at its training log. */
export function trainDocument(name: Name, logPath: string) {
  return {
    ...header('train', { checkpoint: CHECKPOINTS[name] }),
    result: { outDir: `runs/${name.toLowerCase()}`, method: name.toLowerCase(), solutions: {}, snapshots: [], log: logPath, lastEpoch: null },
    cost,
  };
}

/** One of each, enough for every figure and a full table. */
export function allDocuments(): { name: string; doc: unknown }[] {
  return [
    { name: 'evaluate.json', doc: evaluateDocument() },
    ...NAMES.flatMap((n) => [
      { name: `ball-l2-${n}.json`, doc: ballDocument(n, 'l2') },
      { name: `ball-box-${n}.json`, doc: ballDocument(n, 'box') },
      { name: `volume-${n}.json`, doc: volumeDocument(n) },
      { name: `hessian-${n}.json`, doc: hessianDocument(n) },
      { name: `rays-${n}.json`, doc: raysDocument(n) },
    ]),
    { name: 'line.json', doc: lineDocument() },
    { name: 'plane.json', doc: planeDocument() },
    { name: 'train-log-SGD.json', doc: trainLogDocument('SGD') },
    { name: 'train-log-SWA.json', doc: trainLogDocument('SWA') },
  ];
}
