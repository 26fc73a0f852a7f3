/**
 * `sharpness volume` as an item job (parallel/ItemJob.ts): item j is one direction of the
 * whole model or of one layer (sharpness/volumeItems.ts), so the estimate can be split into
 * shards, computed on worker threads and resumed after an interruption, with the same bytes
 * as a single run.
 *
 * A record is the item's radius search plus what assembling needs and the description
 * cannot know before loading: the loss at w and the item's group (its layer, blocks, layer
 * index and dimension). Every item computes them the same way, so records of one job agree.
 */
import type { CommandArgs } from '../command.ts';
import { analysisSpecOf, recordedOptions, type AnalysisSpec } from '../../analysis/openAnalysis.ts';
import type { AnalysisOptions } from '../analysisOptions.ts';
import { InputError, NumericError, UsageError } from '../../errors.ts';
import { parseIgnore, type Norm } from '../../directions/normalizeDirection.ts';
import type { ItemJob, JobContext } from '../../parallel/ItemJob.ts';
import { validateVolumeOptions, type ValidatedVolume, type VolumeResult } from '../../sharpness/flatVolume.ts';
import { formatVolumeResult } from '../../sharpness/formatSharpness.ts';
import { assembleVolume, volumeItem, volumePlan, type VolumeGroup, type VolumeItemRecord, type VolumePlan } from '../../sharpness/volumeItems.ts';
import { VERSION } from '../../version.ts';

/** Everything a volume job depends on, as JSON (a worker thread opens the same job from it). */
export interface VolumeDescription extends AnalysisSpec, ValidatedVolume {
  /** The options as the command line gave them, recorded in the result (as every command does). */
  recorded?: Record<string, unknown>;
}

/** The group of a record: null for the whole model. */
export interface VolumeRecordGroup {
  layer: string;
  blocks: number[];
  /** The layer's index among all layers. */
  k: number;
}

/** Item j's record as progress files and shards keep it. */
export interface VolumeJobRecord extends VolumeItemRecord {
  /** L(w), the same in every record of a job. */
  baseLoss: number;
  /** Coordinates the item's group moves. */
  dimension: number;
  group: VolumeRecordGroup | null;
}

/** The command line's volume options (see commands/volume.ts). */
export interface VolumeArgs extends AnalysisOptions {
  checkpoint: string;
  seed: number;
  delta: number;
  directions: number;
  norm: string;
  ignore: string | undefined;
  maxRadius: number;
  tolerance: number;
  bootstrap: number;
  perLayer: boolean;
}

/**
 * The job's description from the command line, every option validated before anything is
 * loaded. With --norm filter or layer, --ignore defaults to bias,bn: normalisation copies 1-D
 * blocks from w, which would make every direction share them.
 */
export function describeVolume(argv: CommandArgs<VolumeArgs> | VolumeArgs): VolumeDescription {
  if (typeof argv.checkpoint !== 'string' || argv.checkpoint === '') {
    throw new UsageError(`volume: give the checkpoint directory, got ${String(argv.checkpoint)}`);
  }
  const ignore = parseIgnore(argv.ignore ?? (argv.norm === 'none' ? 'none' : 'bias,bn'), 'volume');
  const o = validateVolumeOptions({
    delta: argv.delta,
    directions: argv.directions,
    norm: argv.norm as Norm,
    ignore,
    maxRadius: argv.maxRadius,
    tolerance: argv.tolerance,
    bootstrap: argv.bootstrap,
    perLayer: argv.perLayer,
    seed: argv.seed,
  });
  return { ...analysisSpecOf(argv), ...o, recorded: recordedOptions(argv as unknown as Record<string, unknown>) };
}

/** The volume options of a description (possibly read back from a shard), validated. */
function optionsOf(d: VolumeDescription): ValidatedVolume {
  if (typeof d !== 'object' || d === null) throw new InputError(`volume: the job description must be an object, got ${String(d)}`);
  return validateVolumeOptions({
    delta: d.delta,
    directions: d.directions,
    norm: d.norm,
    ignore: d.ignore,
    maxRadius: d.maxRadius,
    initialRadius: d.initialRadius,
    tolerance: d.tolerance,
    bootstrap: d.bootstrap,
    confidence: d.confidence,
    perLayer: d.perLayer,
    seed: d.seed,
  });
}

/** The description without paths (their hashes stand for them) and the options as typed. The chunk size stays: it moves the last bits. */
function identityOptions(d: VolumeDescription): Omit<VolumeDescription, 'checkpoint' | 'data' | 'recorded'> {
  const { checkpoint: _c, data: _d, recorded: _r, ...rest } = d;
  return rest;
}

export async function openJob(description: VolumeDescription, context: JobContext = {}): Promise<ItemJob<VolumeJobRecord>> {
  const o = optionsOf(description);
  const { openAnalysisFor, analysisHeader } = await import('../../analysis/openAnalysis.ts');
  const a = await openAnalysisFor(description, { workers: context.dataWorkers });
  try {
    const objective = a.objective;
    const w = objective.params;
    const plan = volumePlan(objective.names, objective.shapes, o);
    // L(w), on the first item: a process that only hands out items or assembles never pays for it.
    let baseLoss: number | null = null;
    const lossAtW = (): number => {
      if (baseLoss === null) {
        const l = objective.loss(w);
        if (!Number.isFinite(l)) throw new NumericError(`volume: the loss at w is ${l}`);
        baseLoss = l;
      }
      return baseLoss;
    };
    const groupOf = (j: number): { dimension: number; group: VolumeRecordGroup | null } => {
      const g = Math.floor(j / plan.directions) - 1;
      if (g < 0) return { dimension: plan.dimension, group: null };
      const x = plan.groups[g]!;
      return { dimension: x.dimension, group: { layer: x.layer, blocks: [...x.blocks], k: x.k } };
    };
    return {
      header: analysisHeader(a, description.recorded ?? identityOptions(description), description.seed),
      command: 'volume',
      itemCount: plan.itemCount,
      itemNoun: 'directions',
      identity: {
        version: VERSION,
        command: 'volume',
        checkpointSha256: a.checkpoint.sha256,
        data: { sha256: a.data.sha256, samples: a.data.n },
        loss: a.loss,
        bn: a.bn,
        l2: a.l2,
        options: identityOptions(description),
        engine: { backend: a.engine.backend, tfjsVersion: a.engine.tfjsVersion },
      },
      compute(j: number): VolumeJobRecord {
        const l0 = lossAtW();
        const r = volumeItem(objective, w, l0, o, j, plan);
        return { radius: r.radius, censored: r.censored, lossEvaluations: r.lossEvaluations, baseLoss: l0, ...groupOf(j) };
      },
      dispose() {
        a.dispose();
      },
    };
  } catch (e) {
    a.dispose();
    throw e;
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown, min: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= min;

/** A record read back from a progress file or a shard, checked and copied (keys in order). */
export function checkRecord(value: unknown, i: number, where: string): VolumeJobRecord {
  const bad = (what: string): never => {
    throw new InputError(`volume: ${where}: ${what}, got ${JSON.stringify(value)?.slice(0, 120)}`);
  };
  if (!isObject(value)) return bad(`item ${i}'s record must be an object`);
  const { radius, censored, lossEvaluations, baseLoss, dimension, group } = value;
  if (typeof radius !== 'number' || !(radius > 0) || !Number.isFinite(radius)) bad('radius must be a positive finite number');
  if (typeof censored !== 'boolean') bad('censored must be true or false');
  if (!isCount(lossEvaluations, 0)) bad('lossEvaluations must be an integer >= 0');
  if (typeof baseLoss !== 'number' || !Number.isFinite(baseLoss)) bad('baseLoss must be a finite number');
  if (!isCount(dimension, 1)) bad('dimension must be an integer >= 1');
  let g: VolumeRecordGroup | null = null;
  if (group !== null) {
    if (!isObject(group) || typeof group['layer'] !== 'string' || !isCount(group['k'], 0)) bad('group must be null or { layer, blocks, k }');
    const blocks = (group as Record<string, unknown>)['blocks'];
    if (!Array.isArray(blocks) || blocks.length === 0 || !blocks.every((b) => isCount(b, 0))) bad('group.blocks must be a list of block indices');
    const x = group as { layer: string; blocks: number[]; k: number };
    g = { layer: x.layer, blocks: [...x.blocks], k: x.k };
  }
  return {
    radius: radius as number,
    censored: censored as boolean,
    lossEvaluations: lossEvaluations as number,
    baseLoss: baseLoss as number,
    dimension: dimension as number,
    group: g,
  };
}

const sameGroup = (a: VolumeRecordGroup | null, b: VolumeRecordGroup | null): boolean =>
  a === null || b === null ? a === b : a.layer === b.layer && a.k === b.k && a.blocks.length === b.blocks.length && a.blocks.every((x, n) => x === b.blocks[n]);

/** Pure: the VolumeResult from every record, in item order (what flatVolume returns). */
export function assemble(description: VolumeDescription, records: readonly VolumeJobRecord[]): VolumeResult {
  const o = optionsOf(description);
  const D = o.directions;
  if (records.length === 0 || records.length % D !== 0 || (!o.perLayer && records.length !== D)) {
    throw new InputError(`volume: ${records.length} records do not make ${o.perLayer ? `groups of ${D}` : D} directions`);
  }
  const first = records[0]!;
  const groups: VolumeGroup[] = [];
  for (let s = 0; s < records.length / D; s++) {
    const head = records[s * D]!;
    if ((s === 0) !== (head.group === null)) throw new InputError(`volume: record ${s * D} is of the wrong group (${head.group === null ? 'the whole model' : head.group.layer})`);
    for (let i = s * D; i < (s + 1) * D; i++) {
      const r = records[i]!;
      if (r.baseLoss !== first.baseLoss) throw new InputError(`volume: records 0 and ${i} disagree on the loss at w (${first.baseLoss} vs ${r.baseLoss})`);
      if (r.dimension !== head.dimension || !sameGroup(r.group, head.group)) throw new InputError(`volume: records ${s * D} and ${i} disagree on their group`);
    }
    if (head.group !== null) groups.push({ layer: head.group.layer, blocks: [...head.group.blocks], k: head.group.k, dimension: head.dimension });
  }
  const plan: VolumePlan = { dimension: first.dimension, directions: D, groups, itemCount: records.length };
  return assembleVolume(
    o,
    plan,
    first.baseLoss,
    records.map((r) => ({ radius: r.radius, censored: r.censored, lossEvaluations: r.lossEvaluations })),
  );
}

export function recordCost(record: VolumeJobRecord): { lossEvaluations: number; gradients: number; hvps: number } {
  return { lossEvaluations: record.lossEvaluations, gradients: 0, hvps: 0 };
}

/** The loss at w, once per result. */
export function setupCost(_description: VolumeDescription): { lossEvaluations: number; gradients: number; hvps: number } {
  return { lossEvaluations: 1, gradients: 0, hvps: 0 };
}

export const format = formatVolumeResult;
