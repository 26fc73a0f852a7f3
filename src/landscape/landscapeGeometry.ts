/**
 * What each kind of landscape builds from its checkpoints (one file each:
 * raysGeometry, randomPlaneGeometry, lineGeometry, planeGeometry): the frame, and the
 * weights at any coordinates of it. createLandscape picks one by kind.
 */
import type { Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import type { Rng } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';
import type { LandscapeDirectionOptions } from './landscapeDirection.ts';
import type { AxisRange, LandscapeSpec, RangeSpec } from './landscapeOptions.ts';
import type { FrameCheckpoint, LandscapeFrame } from './landscapeTypes.ts';

/** A checkpoint's trainable and other (non-trainable) weights. */
export interface Weights {
  trainable: Tensor[];
  other: Tensor[];
}

/** Coordinates in a landscape: rays, `ray` and t = x; line, alpha = x; planes, x and y. */
export interface At {
  x: number;
  y?: number;
  ray?: number;
}

/** The weights at a point, and the tensors made for it (to dispose after the evaluation). */
export interface PointWeights {
  trainable: ParamVector;
  other: ParamVector;
  owned: Tensor[][];
}

/** What a geometry is built from: the spec, the checkpoints (names and weights, in spec order) and the range. */
export interface GeometryInput {
  spec: LandscapeSpec;
  checkpoints: readonly { label: string; path: string; sha256: string }[];
  weights: readonly Weights[];
  range: RangeSpec;
  /** rays and random-plane: how the directions are drawn. */
  directions: LandscapeDirectionOptions;
  rng: Rng;
  hasEval: boolean;
}

export interface Geometry {
  frame: LandscapeFrame;
  /** The weights at `at`; the non-trainable ones combined too when `withOther` (lines and planes). */
  weightsAt(at: At, withOther: boolean): PointWeights;
  /** Frees what the geometry holds (directions), not the checkpoints' weights. */
  release(): void;
}

/** The frame's checkpoints at their coordinates. */
export function frameCheckpoints(input: GeometryInput, coords: { x: number; y?: number; offPlane?: number }[]): FrameCheckpoint[] {
  return input.checkpoints.map((c, k) => ({ label: c.label, path: c.path, sha256: c.sha256, ...coords[k]! }));
}

/** Axis k of an explicit --range (rays, line, random-plane: `auto` is only for planes through checkpoints). */
export function explicitAxis(range: RangeSpec, k: number): AxisRange {
  if (range.auto) throw new UsageError(`landscape: --range auto is only for --plane`);
  return range.axes[k]!;
}

/** sum_k coeffs[k] vs[k] (nothing for empty blocks). */
export function combine(coeffs: number[], vs: ParamVector[]): Tensor[] {
  return vs[0]!.length === 0 ? [] : pv.linearCombination(coeffs, vs);
}
