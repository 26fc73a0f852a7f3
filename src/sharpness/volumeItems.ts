/**
 * Flat volume as independent items, so that one estimate can be split into shards, across
 * worker threads and over interruptions and still give the same numbers.
 *
 * With D = --directions and G the per-layer groups (only with perLayer: the layers with at
 * least one movable parameter, in order of first appearance), item j in [0, D (1 + G)) is
 * direction j % D of group floor(j / D) - 1 (-1 = the whole model). Its radius depends only
 * on the objective, w, L(w), the options and j: the direction comes from
 * volumeDirectionRng(seed, j % D, k), k the group's index among all layers (null for the
 * whole model). assembleVolume turns the records, in item order, into the VolumeResult.
 */
import type { ParamVector } from '../engine/paramVector.ts';
import * as pv from '../engine/paramVector.ts';
import { createRng, type Rng } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';
import type { Objective } from '../objective/Objective.ts';
import { blockGroups } from '../directions/blockGroups.ts';
import { isIgnoredBlock } from '../directions/normalizeDirection.ts';
import {
  radiusAlong,
  volumeDirection,
  volumeDirectionRng,
  type DirectionSpec,
  type ValidatedVolume,
} from './volumeSearch.ts';
import type { VolumeEstimate, VolumeResult } from '../results/volumeDocument.ts';
import { bootstrapInterval, logMeanExp, logUnitBallVolume, logVolumeFromRadii } from './logVolume.ts';
import { quantiles } from './summaries.ts';

/** A layer whose directions form a group of items. */
export interface VolumeGroup {
  layer: string;
  /** Block indices of the layer. */
  blocks: number[];
  /** The layer's index among all layers (its random streams; kept whatever --ignore leaves out). */
  k: number;
  /** Number of coordinates its directions move. */
  dimension: number;
}

/** What a volume estimate is made of, from the parameter layout alone. */
export interface VolumePlan {
  /** Number of coordinates the whole-model directions move. */
  dimension: number;
  /** Directions per group. */
  directions: number;
  /** Per-layer groups (empty without perLayer). */
  groups: VolumeGroup[];
  /** directions * (1 + groups.length). */
  itemCount: number;
}

/** Item j's record: JSON-safe. */
export interface VolumeItemRecord {
  /** r(u), finite and > 0 (maxRadius when censored). */
  radius: number;
  censored: boolean;
  /** Loss evaluations the radius search spent. */
  lossEvaluations: number;
}

/** Which direction item j is: `group` null for the whole model. */
export interface VolumeItemSpec {
  group: VolumeGroup | null;
  direction: number;
}

/**
 * The plan from the parameter blocks' names and shapes and validated options (see
 * validateVolumeOptions). Throws UsageError when --ignore leaves nothing to move.
 */
export function volumePlan(names: readonly string[], shapes: readonly (readonly number[])[], o: ValidatedVolume): VolumePlan {
  if (names.length !== shapes.length) throw new UsageError(`volume: ${names.length} block names but ${shapes.length} shapes`);
  const movable = (blocks: readonly number[]): number =>
    blocks.reduce((s, i) => s + (isIgnoredBlock(names[i]!, shapes[i]!, o.ignore) ? 0 : pv.sizeOf([shapes[i]!])), 0);
  const dimension = movable(shapes.map((_, i) => i));
  if (dimension === 0) throw new UsageError('volume: --ignore leaves no parameters to move');
  const groups = o.perLayer
    ? blockGroups(names, shapes)
        .map((g, k) => ({ layer: g.layer, blocks: g.blocks, k, dimension: movable(g.blocks) }))
        .filter((g) => g.dimension > 0)
    : [];
  return { dimension, directions: o.directions, groups, itemCount: o.directions * (1 + groups.length) };
}

/** Item j of the plan (see the notes at the top). */
export function volumeItemSpec(plan: VolumePlan, j: number): VolumeItemSpec {
  if (!Number.isInteger(j) || j < 0 || j >= plan.itemCount) {
    throw new UsageError(`volume: item index must be an integer in [0, ${plan.itemCount}), got ${String(j)}`);
  }
  const g = Math.floor(j / plan.directions) - 1;
  return { group: g < 0 ? null : plan.groups[g]!, direction: j % plan.directions };
}

/**
 * Item j: the radius along its direction, where L(w + r u) - baseLoss first reaches delta
 * (radiusAlong). `plan` defaults to volumePlan(objective's layout, o).
 */
export function volumeItem(
  objective: Objective,
  w: ParamVector,
  baseLoss: number,
  o: ValidatedVolume,
  j: number,
  plan: VolumePlan = volumePlan(objective.names, objective.shapes, o),
): VolumeItemRecord {
  const { group, direction } = volumeItemSpec(plan, j);
  const spec: DirectionSpec = { norm: o.norm, ignore: o.ignore, names: objective.names, ...(group ? { blocks: group.blocks } : {}) };
  const u = volumeDirection(w, spec, volumeDirectionRng(o.seed, direction, group ? group.k : null));
  try {
    const r = radiusAlong(objective, w, u, baseLoss, o.delta, {
      initialRadius: o.initialRadius,
      maxRadius: o.maxRadius,
      tolerance: o.tolerance,
    });
    return { radius: r.radius, censored: r.censored, lossEvaluations: r.lossEvaluations };
  } finally {
    pv.dispose(u);
  }
}

function estimate(radii: number[], censoredIdx: number[], d: number, o: ValidatedVolume, bootRng: Rng): VolumeEstimate {
  const logs = radii.map((r) => d * Math.log(r));
  const ci = bootstrapInterval(logs, logMeanExp, o.bootstrap, o.confidence, bootRng);
  const lv = logUnitBallVolume(d);
  let meanLog = 0;
  for (const r of radii) meanLog += Math.log(r);
  meanLog /= radii.length;
  return {
    dimension: d,
    logVolume: logVolumeFromRadii(radii, d),
    logVolumeCI: [lv + ci.lo, lv + ci.hi],
    radii,
    censored: { count: censoredIdx.length, indices: censoredIdx },
    quantiles: quantiles(radii),
    geometricMeanRadius: Math.exp(meanLog),
    lowerBound: censoredIdx.length > 0,
  };
}

/**
 * Pure: the VolumeResult from every item's record, in item order. cost.lossEvaluations
 * counts the loss at w (1) and every record's evaluations.
 */
export function assembleVolume(o: ValidatedVolume, plan: VolumePlan, baseLoss: number, records: readonly VolumeItemRecord[]): VolumeResult {
  if (records.length !== plan.itemCount) {
    throw new UsageError(`volume: assembling needs ${plan.itemCount} item records, got ${records.length}`);
  }
  const slice = (g: number): { radii: number[]; censored: number[] } => {
    const radii: number[] = [];
    const censored: number[] = [];
    for (let i = 0; i < plan.directions; i++) {
      const r = records[g * plan.directions + i]!;
      radii.push(r.radius);
      if (r.censored) censored.push(i);
    }
    return { radii, censored };
  };
  let lossEvaluations = 1;
  for (const r of records) lossEvaluations += r.lossEvaluations;
  const bootRoot = createRng(o.seed).fork(2);
  const whole = slice(0);
  const result: VolumeResult = {
    delta: o.delta,
    baseLoss,
    ...estimate(whole.radii, whole.censored, plan.dimension, o, bootRoot.fork(0)),
    confidence: o.confidence,
    directions: o.directions,
    tolerance: o.tolerance,
    maxRadius: o.maxRadius,
    initialRadius: o.initialRadius,
    norm: o.norm,
    ignore: [...o.ignore],
    bootstrap: o.bootstrap,
    seed: o.seed,
    cost: { lossEvaluations: 0 },
  };
  if (o.perLayer) {
    result.perLayer = plan.groups.map((g, n) => {
      const r = slice(n + 1);
      return { layer: g.layer, blocks: [...g.blocks], ...estimate(r.radii, r.censored, g.dimension, o, bootRoot.fork(g.k + 1)) };
    });
  }
  result.cost.lossEvaluations = lossEvaluations;
  return result;
}
