/**
 * The vocabulary of loss landscapes: what is drawn (rays, a line, a plane), how BatchNorm
 * statistics follow the weights, and the records every computed point produces.
 */
import type { Ignore, Norm } from '../directions/normalizeDirection.ts';

/** What a landscape samples. */
export const LandscapeKind = {
  /** Random rays w* + t u_i from one solution. */
  rays: 'rays',
  /** The line (1 - alpha) wA + alpha wB through two solutions. */
  line: 'line',
  /** The plane through three solutions, w1 + x u + y v (u, v orthonormal). */
  plane: 'plane',
  /** The plane w* + a d1 + b d2 spanned by two random (filter-normalised) directions. */
  randomPlane: 'random-plane',
} as const;
export type LandscapeKind = (typeof LandscapeKind)[keyof typeof LandscapeKind];
export const LANDSCAPE_KINDS: readonly LandscapeKind[] = Object.values(LandscapeKind);
export function isLandscapeKind(x: unknown): x is LandscapeKind {
  return typeof x === 'string' && (LANDSCAPE_KINDS as readonly string[]).includes(x);
}

/**
 * How BatchNorm layers are evaluated at each point:
 * - `eval` (default): running statistics; on a line or plane through checkpoints they are
 *   interpolated with the same coefficients as the weights;
 * - `train`: the statistics of each chunk (batch statistics);
 * - `recompute`: running statistics recomputed at every point from the training data
 *   (one pass, exact population mean and variance), then used as in `eval`.
 */
export const LandscapeBn = {
  eval: 'eval',
  train: 'train',
  recompute: 'recompute',
} as const;
export type LandscapeBn = (typeof LandscapeBn)[keyof typeof LandscapeBn];
export const LANDSCAPE_BN_MODES: readonly LandscapeBn[] = Object.values(LandscapeBn);
export function isLandscapeBn(x: unknown): x is LandscapeBn {
  return typeof x === 'string' && (LANDSCAPE_BN_MODES as readonly string[]).includes(x);
}

/** One axis of the grid: its name ('t', 'alpha', 'x', ...) and its coordinates, in order. */
export interface Axis {
  name: string;
  values: number[];
}

/**
 * The values measured at one point. Losses that are not finite are recorded as null (far
 * out on a landscape the loss can overflow); errors (1 - accuracy) are null for
 * regression; the eval fields are present only with --eval-data.
 */
export interface PointValues {
  trainLoss: number | null;
  trainError: number | null;
  evalLoss?: number | null;
  evalError?: number | null;
}

/** Item `i` of a landscape (a grid point or a checkpoint) with its values. */
export interface ItemRecord extends PointValues {
  i: number;
}

/** The checkpoints a landscape is drawn from, with their coordinates in it. */
export interface FrameCheckpoint {
  label: string;
  path: string;
  sha256: string;
  x: number;
  y?: number;
  /** plane: a checkpoint after the third is projected onto the plane; its distance from it. */
  offPlane?: number;
}

/**
 * Everything about a landscape but its values: deterministic from the checkpoints, the
 * options and the seed. Items 0..pointCount-1 are the grid points (rays: ray r, step j is
 * item r * nx + j; planes: column ix, row iy is item iy * nx + ix), items pointCount.. are
 * the checkpoints, evaluated exactly at their own weights.
 */
export interface LandscapeFrame {
  kind: LandscapeKind;
  axes: { x: Axis; y?: Axis };
  pointCount: number;
  itemCount: number;
  /** rays: each ray's direction and its Euclidean norm (distance = t * norm). */
  rays?: { index: number; norm: number }[];
  checkpoints: FrameCheckpoint[];
  /** rays and random-plane: how the random directions were made. */
  directions?: {
    norm: Norm;
    ignore: Ignore[];
    seed: number;
    /** random-plane: the directions' Euclidean norms and the cosine of their angle. */
    norms?: number[];
    cosine?: number;
  };
  /** line: ||wB - wA|| over the trainable weights (distance = alpha * length). */
  line?: { length: number };
  /** plane: the orthonormal basis u = (w2 - w1) / ||w2 - w1||, v = Gram-Schmidt of w3 - w1. */
  plane?: { origin: string; u: string; v: string };
  bn: LandscapeBn;
  hasEval: boolean;
}

/**
 * What assembling a landscape takes besides its records (the context of its item job,
 * stored once in each shard): the frame, and the full passes over a data set each item
 * costs (train, eval, BatchNorm recomputation).
 */
export interface LandscapeContext {
  frame: LandscapeFrame;
  passesPerItem: number;
}
