/**
 * Turns a frame and the values of all its items into the landscape result. Pure: a
 * single run, a resumed run and merged shards hold the same items and so give the same
 * result, down to the key order of every object.
 */
import { InputError } from '../errors.ts';
import type { FrameCheckpoint, ItemRecord, LandscapeFrame, PointValues } from './landscapeTypes.ts';
import { LandscapeKind } from './landscapeTypes.ts';

/** A grid point: its index, coordinates and values. */
export interface LandscapePoint extends PointValues {
  i: number;
  /** rays: which ray. */
  ray?: number;
  /** t (rays), alpha (line), the x coordinate (planes). */
  x: number;
  y?: number;
  /** rays: Euclidean distance from the solution, t ||u||; line: alpha ||wB - wA||. */
  distance?: number;
}

/** One point of a ray, ready to plot against distance. */
export interface RayPoint extends PointValues {
  t: number;
  distance: number;
}

export interface RaySeries {
  index: number;
  /** Euclidean norm of the ray's direction. */
  norm: number;
  series: RayPoint[];
}

export type CheckpointPoint = FrameCheckpoint & PointValues;

export interface LandscapeResult {
  kind: LandscapeFrame['kind'];
  /** Identifies the landscape (inputs' hashes, options, engine); see landscapeFingerprint. */
  fingerprint: string;
  axes: LandscapeFrame['axes'];
  /** Grid points in item order (rays: ray-major; planes: row-major, x fastest). */
  points: LandscapePoint[];
  /** rays: each ray as a series of points from the solution outwards. */
  rays?: RaySeries[];
  /** The checkpoints with their coordinates and their own values. */
  checkpoints: CheckpointPoint[];
  /** The values at the first checkpoint (the solution for rays and random planes). */
  base: PointValues;
  directions?: LandscapeFrame['directions'];
  line?: LandscapeFrame['line'];
  plane?: LandscapeFrame['plane'];
  bn: LandscapeFrame['bn'];
  summary: {
    points: number;
    /** Points whose training loss is not finite (recorded as null). */
    nonFinite: number;
    minTrainLoss: number | null;
    maxTrainLoss: number | null;
  };
}

/** The coordinates of grid point i (see LandscapeFrame for the layout). */
export function pointCoordinates(frame: LandscapeFrame, i: number): { ray?: number; x: number; y?: number } {
  const xs = frame.axes.x.values;
  if (frame.kind === LandscapeKind.rays) return { ray: Math.floor(i / xs.length), x: xs[i % xs.length]! };
  if (frame.axes.y) return { x: xs[i % xs.length]!, y: frame.axes.y.values[Math.floor(i / xs.length)]! };
  return { x: xs[i]! };
}

/** The values of a record in canonical key order (eval fields only with eval data). */
export function pickValues(r: PointValues, hasEval: boolean): PointValues {
  const v: PointValues = { trainLoss: r.trainLoss ?? null, trainError: r.trainError ?? null };
  if (hasEval) {
    v.evalLoss = r.evalLoss ?? null;
    v.evalError = r.evalError ?? null;
  }
  return v;
}

/**
 * Items indexed by i; throws InputError naming the first missing (or repeated) index when
 * `records` does not hold each of 0..itemCount-1 exactly once.
 */
export function indexItems(frame: LandscapeFrame, records: Iterable<ItemRecord>): PointValues[] {
  const byIndex: (PointValues | undefined)[] = new Array(frame.itemCount);
  for (const r of records) {
    if (!Number.isInteger(r.i) || r.i < 0 || r.i >= frame.itemCount) {
      throw new InputError(`landscape: item index ${r.i} is outside [0, ${frame.itemCount})`);
    }
    if (byIndex[r.i] !== undefined) throw new InputError(`landscape: item ${r.i} appears twice`);
    byIndex[r.i] = r;
  }
  for (let i = 0; i < frame.itemCount; i++) {
    if (byIndex[i] === undefined) throw new InputError(`landscape: item ${i} of ${frame.itemCount} is missing`);
  }
  return byIndex as PointValues[];
}

export function assembleLandscape(frame: LandscapeFrame, fingerprint: string, records: Iterable<ItemRecord>): LandscapeResult {
  const items = indexItems(frame, records);
  const hasEval = frame.hasEval;
  const points: LandscapePoint[] = [];
  const rayNorm = new Map((frame.rays ?? []).map((r) => [r.index, r.norm]));
  let nonFinite = 0;
  let min: number | null = null;
  let max: number | null = null;
  for (let i = 0; i < frame.pointCount; i++) {
    const c = pointCoordinates(frame, i);
    const p = { i } as LandscapePoint;
    if (c.ray !== undefined) p.ray = c.ray;
    p.x = c.x;
    if (c.y !== undefined) p.y = c.y;
    if (frame.kind === LandscapeKind.rays) p.distance = c.x * rayNorm.get(c.ray!)!;
    if (frame.kind === LandscapeKind.line) p.distance = c.x * frame.line!.length;
    const v = pickValues(items[i]!, hasEval);
    Object.assign(p, v);
    points.push(p);
    if (v.trainLoss === null) nonFinite++;
    else {
      min = min === null ? v.trainLoss : Math.min(min, v.trainLoss);
      max = max === null ? v.trainLoss : Math.max(max, v.trainLoss);
    }
  }
  const checkpoints: CheckpointPoint[] = frame.checkpoints.map((c, k) => ({ ...c, ...pickValues(items[frame.pointCount + k]!, hasEval) }));
  const result: LandscapeResult = {
    kind: frame.kind,
    fingerprint,
    axes: frame.axes,
    points,
  } as LandscapeResult;
  if (frame.rays) {
    const nx = frame.axes.x.values.length;
    result.rays = frame.rays.map((r) => ({
      index: r.index,
      norm: r.norm,
      series: points.slice(r.index * nx, (r.index + 1) * nx).map((p) => ({ t: p.x, distance: p.distance!, ...pickValues(p, hasEval) })),
    }));
  }
  result.checkpoints = checkpoints;
  result.base = pickValues(checkpoints[0]!, hasEval);
  if (frame.directions) result.directions = frame.directions;
  if (frame.line) result.line = frame.line;
  if (frame.plane) result.plane = frame.plane;
  result.bn = frame.bn;
  result.summary = { points: frame.pointCount, nonFinite, minTrainLoss: min, maxTrainLoss: max };
  return result;
}
