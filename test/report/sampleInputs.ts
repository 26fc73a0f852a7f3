/** Synthetic, deterministic figure inputs shaped like real measurements of three solutions. */
import type {
  BallFigureInput,
  LineFigureInput,
  PlaneFigureInput,
  RaysFigureInput,
  SpectraFigureInput,
  TrainingFigureInput,
  VolumeFigureInput,
} from '../../src/report/figureInputs.ts';
import type { EpochPoint, LrPoint } from '../../src/report/figureInputs.ts';

export const SOLUTIONS = ['SGD', 'SAM', 'SWA'] as const;
/** Curvature of each solution: SGD sharpest, SWA flattest. */
const SHARPNESS = { SGD: 1, SAM: 0.55, SWA: 0.35 } as const;
const BASE = { SGD: 0.02, SAM: 0.035, SWA: 0.045 } as const;

/** A small seeded generator (tests never use Math.random). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function sampleRays(raysPerSolution = 4, steps = 21): RaysFigureInput {
  const rnd = lcg(1);
  return {
    distanceTitle: 'distance (filter-normalised)',
    solutions: SOLUTIONS.map((label) => ({
      label,
      rays: Array.from({ length: raysPerSolution }, (_, index) => {
        const c = SHARPNESS[label] * (0.7 + 0.6 * rnd());
        return {
          index,
          points: Array.from({ length: steps }, (_, i) => {
            const d = i * 0.5;
            const trainLoss = BASE[label] + 0.02 * c * d * d;
            return {
              distance: d,
              trainLoss,
              evalLoss: trainLoss + 0.25,
              trainError: Math.min(0.9, 0.002 + 0.9 * sigmoid(c * d - 6)),
              evalError: Math.min(0.9, 0.07 + 0.83 * sigmoid(c * d - 6.2)),
            };
          }),
        };
      }),
    })),
  };
}

export function sampleLine(): LineFigureInput {
  const points = Array.from({ length: 41 }, (_, i) => {
    const alpha = -0.5 + i * 0.05;
    const trainLoss = 0.03 + 0.9 * (alpha - 0.85) ** 2 * (alpha < 0.85 ? 0.35 : 1);
    return {
      alpha,
      trainLoss,
      evalLoss: trainLoss + 0.22 + 0.05 * alpha,
      trainError: Math.min(0.9, 0.004 + 0.2 * (alpha - 0.85) ** 2),
      evalError: Math.min(0.9, 0.065 + 0.15 * (alpha - 0.3) ** 2),
    };
  });
  return { points, checkpoints: [{ label: 'SWA', alpha: 0 }, { label: 'SGD', alpha: 1 }] };
}

export function samplePlane(n = 31): PlaneFigureInput {
  const xs = Array.from({ length: n }, (_, i) => -0.4 + (1.8 * i) / (n - 1));
  const ys = Array.from({ length: n }, (_, j) => -0.4 + (1.6 * j) / (n - 1));
  const centres = [
    { label: 'SGD', x: 0, y: 0 },
    { label: 'SAM', x: 1, y: 0 },
    { label: 'SWA', x: 0.45, y: 0.85 },
  ];
  const loss = (x: number, y: number) => 0.02 + Math.min(...centres.map((c) => 1.2 * ((x - c.x) ** 2 + (y - c.y) ** 2))) + 0.05 * x;
  return {
    xs,
    ys,
    xTitle: 'u',
    yTitle: 'v',
    checkpoints: centres,
    metrics: [
      { name: 'trainLoss', values: ys.map((y) => xs.map((x) => loss(x, y))) },
      { name: 'evalError', values: ys.map((y) => xs.map((x) => Math.min(0.9, 0.06 + 0.5 * (loss(x, y) - 0.02)))) },
    ],
  };
}

export function sampleSpectra(k = 5, gridPoints = 120): SpectraFigureInput {
  return {
    solutions: SOLUTIONS.map((label) => {
      const top = 40 * SHARPNESS[label];
      const eigenvalues = Array.from({ length: k }, (_, i) => top / (1 + 0.6 * i));
      const grid = Array.from({ length: gridPoints }, (_, i) => -5 + (50 * i) / (gridPoints - 1));
      const bulk = (x: number) => Math.exp(-(x ** 2) / 2) / Math.sqrt(2 * Math.PI);
      const spikes = (x: number) => eigenvalues.reduce((s, e) => s + 0.002 * Math.exp(-((x - e) ** 2) / 0.5), 0);
      return {
        label,
        eigenvalues,
        density: { grid, values: grid.map((x) => 0.97 * bulk(x) + spikes(x)) },
        trace: { estimate: 150 * SHARPNESS[label], stderr: 4.2 * SHARPNESS[label] },
      };
    }),
  };
}

export function sampleBall(): BallFigureInput {
  const series = SOLUTIONS.flatMap((label) => {
    const base = BASE[label];
    const l2 = [0.01, 0.05, 0.1, 0.5].map((r) => {
      const maxLoss = base + 20 * SHARPNESS[label] * r * r + 0.2 * r;
      const averageLoss = base + 0.3 * (maxLoss - base);
      return { radius: r, maxLoss, keskar: (100 * (maxLoss - base)) / (1 + base), averageLoss, averageStderr: 0.02 * (maxLoss - base) };
    });
    const box = [5e-4, 1e-3].map((r) => {
      const maxLoss = base + 1e5 * SHARPNESS[label] * r * r;
      return { radius: r, maxLoss, keskar: (100 * (maxLoss - base)) / (1 + base), averageLoss: null, averageStderr: null };
    });
    return [
      { label, norm: 'l2', adaptive: false, baseLoss: base, points: l2 },
      { label, norm: 'box', adaptive: false, baseLoss: base, points: box },
    ];
  });
  return { series };
}

export function sampleVolume(directions = 40): VolumeFigureInput {
  const rnd = lcg(7);
  return {
    series: SOLUTIONS.map((label) => {
      const radii = Array.from({ length: directions }, () => {
        const z = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
        return Math.min(5, (0.6 / SHARPNESS[label]) * Math.exp(0.35 * z));
      });
      const censored = radii.flatMap((r, i) => (r >= 5 ? [i] : []));
      const gm = Math.exp(radii.reduce((s, r) => s + Math.log(r), 0) / radii.length);
      return { label, radii, censored, maxRadius: 5, delta: 0.1, norm: 'filter', dimension: 101770, geometricMeanRadius: gm };
    }),
  };
}

export function sampleTraining(epochs = 60, itersPerEpoch = 10): TrainingFigureInput {
  const run = (label: string, lrAt: (t: number) => number, finalErr: number, averageStart?: number) => {
    const lr: LrPoint[] = [];
    for (let it = 0; it < epochs * itersPerEpoch; it++) lr.push({ epoch: (it + 1) / itersPerEpoch, lr: lrAt((it + 1) / itersPerEpoch) });
    const rows: EpochPoint[] = Array.from({ length: epochs }, (_, i) => {
      const e = i + 1;
      const err = finalErr + 0.25 * Math.exp(-e / 8) + 0.01 * lrAt(e);
      const averaged = averageStart !== undefined && e > averageStart ? { averageEvalAcc: 1 - (err - 0.006) } : {};
      return { epoch: e, trainLoss: 2 * err, trainAcc: 1 - err / 3, evalLoss: 2.2 * err, evalAcc: 1 - err, lr: lrAt(e), ...averaged };
    });
    return { label, epochs: rows, lr, ...(averageStart === undefined ? {} : { averageStart }) };
  };
  const decay = (t: number) => (t < 0.5 * epochs ? 0.1 : t < 0.9 * epochs ? 0.1 - (0.099 * (t - 0.5 * epochs)) / (0.4 * epochs) : 0.001);
  const swa = (t: number) => (t < 0.5 * epochs ? 0.1 : 0.05);
  const cyclic = (t: number) => (t < 0.5 * epochs ? 0.1 : 0.05 - 0.045 * ((t * 2) % 1));
  return {
    runs: [run('SGD', decay, 0.07), run('SWA', swa, 0.062, 0.5 * epochs), run('SAM', cyclic, 0.065)],
  };
}
