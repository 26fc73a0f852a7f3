/**
 * What each figure is drawn from: plain data with solution labels already resolved.
 * fromResults.ts builds these from result documents; the spec builders in specs/ turn
 * them into Vega-Lite specs. Errors are fractions in [0, 1].
 */

/** The measures at one point of a landscape: train loss always, the rest when measured. */
export interface LandscapeMetrics {
  trainLoss: number | null;
  trainError?: number | null;
  evalLoss?: number | null;
  evalError?: number | null;
}

/** One point along a ray: w* + distance u. */
export interface RayPoint extends LandscapeMetrics {
  distance: number;
}

export interface Ray {
  /** Index of the direction; identifies the ray within one solution. */
  index: number;
  /** Points in increasing distance. */
  points: RayPoint[];
}

/** One point of the line w(alpha) = w_0 + alpha (w_1 - w_0). */
export interface LinePoint extends LandscapeMetrics {
  alpha: number;
}

/** One epoch of a training run; null where not measured. Accuracies in [0, 1]. */
export interface EpochPoint {
  /** 1-based; the record is taken at the end of the epoch. */
  epoch: number;
  trainLoss: number | null;
  trainAcc: number | null;
  evalLoss: number | null;
  evalAcc: number | null;
  /** Learning rate at the end of the epoch. */
  lr: number | null;
  /** SWA: test accuracy of the running average (BatchNorm recomputed), once averaging started. */
  averageEvalAcc?: number | null;
}

/** The learning rate at one iteration; `epoch` is fractional (iteration / iterations per epoch). */
export interface LrPoint {
  epoch: number;
  lr: number;
}

/** Options every spec builder takes. */
export interface FigureOptions {
  /** Title drawn above the figure; none by default (captions go in the paper). */
  title?: string;
  /**
   * Every solution label of the report, in order: fixes the colour of each label so it is
   * the same in every figure. Default: the labels of this figure's input, in order.
   */
  solutions?: readonly string[];
}

/** Random rays from each solution. */
export interface RaysFigureInput {
  solutions: { label: string; rays: Ray[] }[];
  /** Axis title of the distance, e.g. 'distance (filter-normalised)'. Default 'distance'. */
  distanceTitle?: string;
  /** Loss axis on a log scale. Default false. */
  logLoss?: boolean;
  /** The L2 coefficient included in the train loss, when not 0. */
  l2?: number;
  /** How the directions were scaled (landscape --norm: filter, layer, none), when known. */
  directionNorm?: string;
}

/** The line through two or more solutions. */
export interface LineFigureInput {
  points: LinePoint[];
  /**
   * Where each solution lies on the line, and its own measures there when known (else they
   * are interpolated from the points).
   */
  checkpoints: { label: string; alpha: number; values?: LandscapeMetrics }[];
  logLoss?: boolean;
  /** The L2 coefficient included in the train loss, when not 0. */
  l2?: number;
}

export type PlaneMetricName = keyof LandscapeMetrics;

/** A 2D slice of the landscape. */
export interface PlaneFigureInput {
  xs: number[];
  ys: number[];
  /** One heatmap per metric: values[j][i] at (xs[i], ys[j]); null cells are left blank. */
  metrics: { name: PlaneMetricName; values: (number | null)[][] }[];
  /** `offPlane`: a checkpoint projected onto the plane (drawn as a diamond), its distance from the plane. */
  checkpoints: { label: string; x: number; y: number; offPlane?: number; values?: LandscapeMetrics }[];
  xTitle?: string;
  yTitle?: string;
  /** Size of one grid cell in pixels (an integer, so cells never show seams). Default: about 300 px per axis. */
  cellSize?: number;
  /** Colour scale of loss heatmaps: 'log' or 'linear'. Default: log when all values are positive and span more than 20x. */
  lossScale?: 'log' | 'linear';
  /** The L2 coefficient included in the train loss, when not 0. */
  l2?: number;
}

/** The Hessian spectrum of each solution. */
export interface SpectraFigureInput {
  solutions: {
    label: string;
    /** Top-k eigenvalues (descending); may be empty when only the density was computed. */
    eigenvalues: number[];
    /** Stochastic Lanczos quadrature density on a grid; absent when not computed. */
    density?: { grid: number[]; values: number[] };
    trace?: { estimate: number; stderr: number | null };
  }[];
}

/** One ball-sharpness measurement (one result document). */
export interface BallSeries {
  label: string;
  norm: string;
  adaptive: boolean;
  baseLoss: number;
  points: {
    radius: number;
    /** Keskar et al.'s 100 (maxLoss - baseLoss) / (1 + baseLoss). */
    keskar: number;
    maxLoss: number;
    averageLoss: number | null;
    averageStderr: number | null;
  }[];
}

/** eps-sharpness against the radius, one panel per norm. */
export interface BallFigureInput {
  series: BallSeries[];
}

/** One flat-volume measurement. */
export interface VolumeSeries {
  label: string;
  radii: number[];
  /** Indices into radii of the directions censored at maxRadius. */
  censored: number[];
  maxRadius: number;
  delta: number;
  norm: string;
  dimension: number;
  geometricMeanRadius: number;
}

/** The distribution of the radii r(u) at which the loss rises by delta, per solution. */
export interface VolumeFigureInput {
  series: VolumeSeries[];
}

/** Training curves: test error per epoch and the learning-rate schedule, per run. */
export interface TrainingFigureInput {
  runs: {
    label: string;
    epochs: EpochPoint[];
    /** Per-iteration learning rate (may be thinned); absent: the per-epoch `lr` is drawn. */
    lr?: LrPoint[];
    /** Epoch at which weight averaging started (SWA), drawn as a dotted rule. */
    averageStart?: number;
  }[];
}
