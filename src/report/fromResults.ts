/**
 * From result documents to figure inputs: classifies each document by its `schema` tag,
 * checks the fields the report reads (a bad or unknown document is a one-line InputError
 * naming the file), lists the solutions (checkpoints) in order of first appearance, and
 * builds the input of every figure and of the comparison table. Pure: the caller reads
 * the files and decides the labels.
 */
import path from 'node:path';
import { InputError, UsageError } from '../errors.ts';
import type { BallPoint, BallResult } from '../sharpness/ballSharpness.ts';
import type { VolumeResult } from '../sharpness/flatVolume.ts';
import type { HessianReport } from '../hessian/hessianReport.ts';
import type { LandscapeResult } from '../landscape/assembleLandscape.ts';
import type { TrainLog } from '../training/runTraining.ts';
import type { SolutionMeasures } from './comparisonTable.ts';
import { widthConsistency, type ConsistencyRow, type WidthData } from './widthConsistency.ts';
import type {
  BallFigureInput,
  EpochPoint,
  LandscapeMetrics,
  LineFigureInput,
  LrPoint,
  PlaneFigureInput,
  PlaneMetricName,
  RaysFigureInput,
  SpectraFigureInput,
  TrainingFigureInput,
  VolumeFigureInput,
} from './figureInputs.ts';

/** The schema tags the report draws from. */
export const ResultSchema = {
  ball: 'sharpness/ball@1',
  volume: 'sharpness/volume@1',
  hessian: 'sharpness/hessian@1',
  evaluate: 'sharpness/evaluate@1',
  landscape: 'sharpness/landscape@1',
  train: 'sharpness/train@1',
  trainLog: 'sharpness/train-log@1',
} as const;
export type ResultSchema = (typeof ResultSchema)[keyof typeof ResultSchema];
export const RESULT_SCHEMAS: readonly ResultSchema[] = Object.values(ResultSchema);
export function isResultSchema(x: unknown): x is ResultSchema {
  return typeof x === 'string' && (RESULT_SCHEMAS as readonly string[]).includes(x);
}

/** A parsed JSON file and where it came from. */
export interface LoadedDocument {
  file: string;
  value: unknown;
}

/** A checkpoint as result documents name it. */
export interface CheckpointId {
  path: string;
  sha256?: string;
}

/** The fields of each result the report reads (views of the producers' types). */
export type BallView = Pick<BallResult, 'baseLoss' | 'norm' | 'adaptive'> & {
  points: Pick<BallPoint, 'radius' | 'keskar' | 'maxLoss' | 'averageLoss' | 'averageStderr'>[];
};
export type VolumeView = Pick<
  VolumeResult,
  'radii' | 'delta' | 'norm' | 'maxRadius' | 'dimension' | 'geometricMeanRadius' | 'logVolume' | 'logVolumeCI' | 'confidence' | 'lowerBound'
> & { censored: { indices: number[] } };
export type HessianView = Pick<HessianReport, 'eigenvalues' | 'residuals' | 'order'> & {
  trace?: { estimate: number; stderr: number | null };
  density?: { grid: number[]; values: number[] };
};
export interface EvaluateView {
  models: { checkpoint: string; sha256?: string; loss: number; accuracy: number | null }[];
  ensemble: { loss: number; accuracy: number | null; members: number } | null;
}
type LandscapeKindName = LandscapeResult['kind'];
type Values = LandscapeMetrics;
export interface LandscapeView {
  kind: LandscapeKindName;
  axes: { x: { name: string; values: number[] }; y?: { name: string; values: number[] } };
  points: (Values & { i?: number; ray?: number; x: number; y?: number; distance?: number })[];
  rays?: { index: number; series: (Values & { distance: number })[] }[];
  checkpoints: (Values & { label?: string; path: string; sha256?: string; x: number; y?: number; offPlane?: number })[];
  directions?: { norm?: string };
  /** The L2 coefficient the train loss includes (the document's `l2`). */
  l2?: number;
}
export type TrainLogView = Pick<TrainLog, 'method' | 'batchesPerEpoch'> & {
  epochs: (Pick<TrainLog['epochs'][number], 'epoch' | 'trainLoss' | 'trainAccuracy' | 'evalLoss' | 'evalAccuracy' | 'lr'> & {
    swa?: { count: number; evalAccuracy: number | null };
  })[];
  iterations?: { lr: number[] };
  evalData?: { samples: number } | null;
  solutions?: Record<string, { path?: string; sha256?: string; eval: { accuracy: number | null } | null }>;
};

/** A document the report understood, with the fields it reads checked. */
export type ClassifiedDocument =
  | { file: string; kind: 'ball'; checkpoint: CheckpointId; result: BallView }
  | { file: string; kind: 'volume'; checkpoint: CheckpointId; result: VolumeView }
  | { file: string; kind: 'hessian'; checkpoint: CheckpointId; result: HessianView }
  | { file: string; kind: 'evaluate'; samples: number | null; result: EvaluateView }
  | { file: string; kind: 'landscape'; result: LandscapeView }
  | { file: string; kind: 'trainLog'; result: TrainLogView }
  /** A `train` result: its log lives in another file (`logPath`), which the caller loads. */
  | { file: string; kind: 'train'; checkpoint: CheckpointId | null; logPath: string | null };

// ---------------------------------------------------------------------------------------
// Checking

function show(x: unknown): string {
  const s = typeof x === 'string' ? `'${x}'` : (JSON.stringify(x) ?? String(x));
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Field checks whose errors name the file and the field. */
class Fields {
  constructor(readonly file: string) {}

  fail(where: string, what: string, got: unknown): never {
    throw new InputError(`report: ${this.file}: ${where} must be ${what}, got ${got === undefined ? 'nothing' : show(got)}`);
  }

  object(v: unknown, where: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(where, 'an object', v);
    return v as Record<string, unknown>;
  }

  array(v: unknown, where: string): unknown[] {
    if (!Array.isArray(v)) this.fail(where, 'an array', v);
    return v as unknown[];
  }

  number(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(where, 'a finite number', v);
    return v as number;
  }

  /** A finite number or null (absent reads as null). */
  nullable(v: unknown, where: string): number | null {
    if (v === null || v === undefined) return null;
    return this.number(v, where);
  }

  string(v: unknown, where: string): string {
    if (typeof v !== 'string' || v === '') this.fail(where, 'a non-empty string', v);
    return v as string;
  }

  optionalString(v: unknown, where: string): string | undefined {
    return v === undefined || v === null ? undefined : this.string(v, where);
  }

  boolean(v: unknown, where: string): boolean {
    if (typeof v !== 'boolean') this.fail(where, 'true or false', v);
    return v as boolean;
  }

  numbers(v: unknown, where: string): number[] {
    return this.array(v, where).map((x, i) => this.number(x, `${where}[${i}]`));
  }

  nullableNumbers(v: unknown, where: string): (number | null)[] {
    return this.array(v, where).map((x, i) => this.nullable(x, `${where}[${i}]`));
  }

  checkpoint(v: unknown, where: string): CheckpointId {
    const o = this.object(v, where);
    const sha256 = this.optionalString(o.sha256, `${where}.sha256`);
    return { path: this.string(o.path, `${where}.path`), ...(sha256 ? { sha256 } : {}) };
  }

  values(o: Record<string, unknown>, where: string): Values {
    return {
      trainLoss: this.nullable(o.trainLoss, `${where}.trainLoss`),
      trainError: this.nullable(o.trainError, `${where}.trainError`),
      evalLoss: this.nullable(o.evalLoss, `${where}.evalLoss`),
      evalError: this.nullable(o.evalError, `${where}.evalError`),
    };
  }
}

function checkBall(f: Fields, r: Record<string, unknown>): BallView {
  return {
    baseLoss: f.number(r.baseLoss, 'result.baseLoss'),
    norm: f.string(r.norm, 'result.norm') as BallView['norm'],
    adaptive: r.adaptive === undefined ? false : f.boolean(r.adaptive, 'result.adaptive'),
    points: f.array(r.points, 'result.points').map((p, i) => {
      const w = `result.points[${i}]`;
      const o = f.object(p, w);
      return {
        radius: f.number(o.radius, `${w}.radius`),
        keskar: f.number(o.keskar, `${w}.keskar`),
        maxLoss: f.number(o.maxLoss, `${w}.maxLoss`),
        averageLoss: f.nullable(o.averageLoss, `${w}.averageLoss`),
        averageStderr: f.nullable(o.averageStderr, `${w}.averageStderr`),
      };
    }),
  };
}

function checkVolume(f: Fields, r: Record<string, unknown>): VolumeView {
  const ci = f.numbers(r.logVolumeCI, 'result.logVolumeCI');
  if (ci.length !== 2) f.fail('result.logVolumeCI', 'two numbers', r.logVolumeCI);
  const censored = r.censored === undefined ? { indices: [] } : f.object(r.censored, 'result.censored');
  return {
    radii: f.numbers(r.radii, 'result.radii'),
    censored: { indices: censored.indices === undefined ? [] : f.numbers(censored.indices, 'result.censored.indices') },
    delta: f.number(r.delta, 'result.delta'),
    norm: (f.optionalString(r.norm, 'result.norm') ?? 'none') as VolumeView['norm'],
    maxRadius: f.number(r.maxRadius, 'result.maxRadius'),
    dimension: f.number(r.dimension, 'result.dimension'),
    geometricMeanRadius: f.number(r.geometricMeanRadius, 'result.geometricMeanRadius'),
    logVolume: f.number(r.logVolume, 'result.logVolume'),
    logVolumeCI: [ci[0]!, ci[1]!],
    confidence: r.confidence === undefined ? 0.95 : f.number(r.confidence, 'result.confidence'),
    lowerBound: r.lowerBound === undefined ? false : f.boolean(r.lowerBound, 'result.lowerBound'),
  };
}

function checkHessian(f: Fields, r: Record<string, unknown>): HessianView {
  const eigenvalues = f.numbers(r.eigenvalues, 'result.eigenvalues');
  const residuals = r.residuals === undefined ? [] : f.numbers(r.residuals, 'result.residuals');
  const order = r.order === 'ascending' ? 'ascending' : 'descending';
  const out: HessianView = { eigenvalues, residuals, order };
  if (r.trace !== undefined) {
    const t = f.object(r.trace, 'result.trace');
    out.trace = { estimate: f.number(t.estimate, 'result.trace.estimate'), stderr: f.nullable(t.stderr, 'result.trace.stderr') };
  }
  if (r.density !== undefined) {
    const d = f.object(r.density, 'result.density');
    const grid = f.numbers(d.grid, 'result.density.grid');
    const values = f.numbers(d.values, 'result.density.values');
    if (grid.length !== values.length) f.fail('result.density.values', `${grid.length} numbers (one per grid point)`, `${values.length}`);
    out.density = { grid, values };
  }
  return out;
}

function checkEvaluate(f: Fields, r: Record<string, unknown>): EvaluateView {
  const models = f.array(r.models, 'result.models').map((m, i) => {
    const w = `result.models[${i}]`;
    const o = f.object(m, w);
    const sha256 = f.optionalString(o.sha256, `${w}.sha256`);
    return {
      checkpoint: f.string(o.checkpoint, `${w}.checkpoint`),
      ...(sha256 ? { sha256 } : {}),
      loss: f.number(o.loss, `${w}.loss`),
      accuracy: f.nullable(o.accuracy, `${w}.accuracy`),
    };
  });
  let ensemble: EvaluateView['ensemble'] = null;
  if (r.ensemble !== undefined && r.ensemble !== null) {
    const e = f.object(r.ensemble, 'result.ensemble');
    ensemble = {
      loss: f.number(e.loss, 'result.ensemble.loss'),
      accuracy: f.nullable(e.accuracy, 'result.ensemble.accuracy'),
      members: f.number(e.members, 'result.ensemble.members'),
    };
  }
  return { models, ensemble };
}

const LANDSCAPE_KINDS = ['rays', 'line', 'plane', 'random-plane'] as const;

function checkLandscape(f: Fields, r: Record<string, unknown>): LandscapeView {
  const kind = r.kind as LandscapeKindName;
  if (!(LANDSCAPE_KINDS as readonly unknown[]).includes(kind)) f.fail('result.kind', `one of ${LANDSCAPE_KINDS.join(', ')}`, r.kind);
  const axes = f.object(r.axes, 'result.axes');
  const axis = (v: unknown, w: string) => {
    const a = f.object(v, w);
    return { name: f.optionalString(a.name, `${w}.name`) ?? '', values: f.numbers(a.values, `${w}.values`) };
  };
  const out: LandscapeView = {
    kind,
    axes: { x: axis(axes.x, 'result.axes.x'), ...(axes.y === undefined ? {} : { y: axis(axes.y, 'result.axes.y') }) },
    points: f.array(r.points, 'result.points').map((p, i) => {
      const w = `result.points[${i}]`;
      const o = f.object(p, w);
      const y = f.nullable(o.y, `${w}.y`);
      const ray = f.nullable(o.ray, `${w}.ray`);
      const distance = f.nullable(o.distance, `${w}.distance`);
      const idx = f.nullable(o.i, `${w}.i`);
      return {
        ...f.values(o, w),
        x: f.number(o.x, `${w}.x`),
        ...(y === null ? {} : { y }),
        ...(ray === null ? {} : { ray }),
        ...(distance === null ? {} : { distance }),
        ...(idx === null ? {} : { i: idx }),
      };
    }),
    checkpoints: f.array(r.checkpoints ?? [], 'result.checkpoints').map((c, i) => {
      const w = `result.checkpoints[${i}]`;
      const o = f.object(c, w);
      const y = f.nullable(o.y, `${w}.y`);
      const label = f.optionalString(o.label, `${w}.label`);
      const sha256 = f.optionalString(o.sha256, `${w}.sha256`);
      const offPlane = f.nullable(o.offPlane, `${w}.offPlane`);
      return {
        ...f.values(o, w),
        path: f.string(o.path, `${w}.path`),
        ...(sha256 ? { sha256 } : {}),
        ...(label ? { label } : {}),
        x: f.number(o.x, `${w}.x`),
        ...(y === null ? {} : { y }),
        ...(offPlane === null ? {} : { offPlane }),
      };
    }),
  };
  if (r.rays !== undefined) {
    out.rays = f.array(r.rays, 'result.rays').map((ray, i) => {
      const w = `result.rays[${i}]`;
      const o = f.object(ray, w);
      return {
        index: f.number(o.index, `${w}.index`),
        series: f.array(o.series, `${w}.series`).map((p, j) => {
          const pw = `${w}.series[${j}]`;
          const po = f.object(p, pw);
          return { ...f.values(po, pw), distance: f.number(po.distance, `${pw}.distance`) };
        }),
      };
    });
  }
  if (r.directions !== undefined && r.directions !== null) {
    const d = f.object(r.directions, 'result.directions');
    const norm = f.optionalString(d.norm, 'result.directions.norm');
    out.directions = norm ? { norm } : {};
  }
  if (kind === 'rays' && !out.rays && out.points.some((p) => p.ray === undefined)) {
    f.fail('result.rays', 'the rays (or points with ray indices)', undefined);
  }
  return out;
}

function checkTrainLog(f: Fields, r: Record<string, unknown>): TrainLogView {
  const out: TrainLogView = {
    method: f.string(r.method, 'method') as TrainLogView['method'],
    batchesPerEpoch: f.number(r.batchesPerEpoch, 'batchesPerEpoch'),
    epochs: f.array(r.epochs, 'epochs').map((e, i) => {
      const w = `epochs[${i}]`;
      const o = f.object(e, w);
      const rec: TrainLogView['epochs'][number] = {
        epoch: f.number(o.epoch, `${w}.epoch`),
        trainLoss: f.number(o.trainLoss, `${w}.trainLoss`),
        trainAccuracy: f.nullable(o.trainAccuracy, `${w}.trainAccuracy`),
        evalLoss: f.nullable(o.evalLoss, `${w}.evalLoss`),
        evalAccuracy: f.nullable(o.evalAccuracy, `${w}.evalAccuracy`),
        lr: f.number(o.lr, `${w}.lr`),
      };
      if (o.swa !== undefined && o.swa !== null) {
        const s = f.object(o.swa, `${w}.swa`);
        rec.swa = { count: f.number(s.count, `${w}.swa.count`), evalAccuracy: f.nullable(s.evalAccuracy, `${w}.swa.evalAccuracy`) };
      }
      return rec;
    }),
  };
  if (r.iterations !== undefined && r.iterations !== null) {
    const it = f.object(r.iterations, 'iterations');
    if (it.lr !== undefined) out.iterations = { lr: f.numbers(it.lr, 'iterations.lr') };
  }
  if (r.evalData !== undefined && r.evalData !== null) {
    out.evalData = { samples: f.number(f.object(r.evalData, 'evalData').samples, 'evalData.samples') };
  }
  if (r.solutions !== undefined && r.solutions !== null) {
    const sols = f.object(r.solutions, 'solutions');
    out.solutions = {};
    for (const [name, v] of Object.entries(sols)) {
      const w = `solutions.${name}`;
      const o = f.object(v, w);
      const p = f.optionalString(o.path, `${w}.path`);
      const sha256 = f.optionalString(o.sha256, `${w}.sha256`);
      const ev = o.eval === undefined || o.eval === null ? null : f.object(o.eval, `${w}.eval`);
      out.solutions[name] = {
        ...(p ? { path: p } : {}),
        ...(sha256 ? { sha256 } : {}),
        eval: ev ? { accuracy: f.nullable(ev.accuracy, `${w}.eval.accuracy`) } : null,
      };
    }
  }
  return out;
}

/** Checks one parsed document and says what it is; throws InputError naming the file. */
export function classifyDocument(doc: LoadedDocument): ClassifiedDocument {
  const f = new Fields(doc.file);
  const v = doc.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new InputError(`report: ${doc.file} is not a sharpness result file (expected a JSON object with a schema tag)`);
  }
  const o = v as Record<string, unknown>;
  if (o.schema === undefined) throw new InputError(`report: ${doc.file} has no schema tag; is it a sharpness result file?`);
  if (!isResultSchema(o.schema)) {
    throw new InputError(`report: ${doc.file} has schema ${show(o.schema)}, which report cannot draw (known: ${RESULT_SCHEMAS.join(', ')})`);
  }
  const file = doc.file;
  switch (o.schema) {
    case ResultSchema.trainLog:
      return { file, kind: 'trainLog', result: checkTrainLog(f, o) };
    case ResultSchema.train: {
      const r = o.result === undefined ? {} : f.object(o.result, 'result');
      return {
        file,
        kind: 'train',
        checkpoint: o.checkpoint === undefined ? null : f.checkpoint(o.checkpoint, 'checkpoint'),
        logPath: f.optionalString(r.log, 'result.log') ?? null,
      };
    }
    case ResultSchema.evaluate: {
      const data = o.evalData ?? o.data;
      const samples = data === undefined ? null : f.nullable(f.object(data, 'data').samples, 'data.samples');
      return { file, kind: 'evaluate', samples, result: checkEvaluate(f, f.object(o.result, 'result')) };
    }
    case ResultSchema.landscape: {
      const result = checkLandscape(f, f.object(o.result, 'result'));
      const l2 = f.nullable(o.l2, 'l2');
      if (l2 !== null) result.l2 = l2;
      return { file, kind: 'landscape', result };
    }
    case ResultSchema.ball:
      return { file, kind: 'ball', checkpoint: f.checkpoint(o.checkpoint, 'checkpoint'), result: checkBall(f, f.object(o.result, 'result')) };
    case ResultSchema.volume:
      return { file, kind: 'volume', checkpoint: f.checkpoint(o.checkpoint, 'checkpoint'), result: checkVolume(f, f.object(o.result, 'result')) };
    case ResultSchema.hessian:
      return { file, kind: 'hessian', checkpoint: f.checkpoint(o.checkpoint, 'checkpoint'), result: checkHessian(f, f.object(o.result, 'result')) };
  }
}

// ---------------------------------------------------------------------------------------
// Solutions

/** A solution of the report: a checkpoint, or something labelled on its own (an ensemble). */
export interface SolutionRef {
  key: string;
  /** The checkpoint's path as first recorded; null for an ensemble. */
  path: string | null;
  sha256: string | null;
  /** Whether --labels applies (checkpoints only). */
  checkpoint: boolean;
  /** A name the results suggest (a landscape label, a training method, an ensemble's size). */
  hint: string | null;
  /** An ensemble: the keys of its members (its label names them when they share one). */
  members?: string[];
}

/** A checkpoint path without './', trailing slashes or a trailing model.json. */
export function normalisePath(p: string): string {
  let s = path.normalize(p).replace(/[\\/]+$/, '');
  if (path.basename(s) === 'model.json') s = path.dirname(s);
  return s;
}

/** The key that identifies a checkpoint across documents: its weights' hash, else its path. */
export function solutionKey(c: CheckpointId): string {
  return c.sha256 ? `sha256:${c.sha256}` : `path:${normalisePath(c.path)}`;
}

function trainLogSolution(r: TrainLogView): { path?: string; sha256?: string } | null {
  const s = r.solutions?.final;
  return s && (s.path || s.sha256) ? s : null;
}

function ensembleKey(file: string): string {
  return `ensemble:${file}`;
}

function trainRunKey(file: string): string {
  return `run:${file}`;
}

/** Every solution the documents mention, in order of first appearance. */
export function listSolutions(docs: readonly ClassifiedDocument[]): SolutionRef[] {
  const out = new Map<string, SolutionRef>();
  const add = (c: CheckpointId, hint: string | null = null) => {
    const key = solutionKey(c);
    const known = out.get(key);
    if (known) {
      known.hint ??= hint;
      return;
    }
    out.set(key, { key, path: normalisePath(c.path), sha256: c.sha256 ?? null, checkpoint: true, hint });
  };
  for (const d of docs) {
    switch (d.kind) {
      case 'ball':
      case 'volume':
      case 'hessian':
        add(d.checkpoint);
        break;
      case 'evaluate':
        for (const m of d.result.models) add({ path: m.checkpoint, ...(m.sha256 ? { sha256: m.sha256 } : {}) });
        if (d.result.ensemble) {
          const key = ensembleKey(d.file);
          const members = d.result.models.map((m) => solutionKey({ path: m.checkpoint, ...(m.sha256 ? { sha256: m.sha256 } : {}) }));
          out.set(key, { key, path: null, sha256: null, checkpoint: false, hint: `ensemble of ${d.result.ensemble.members}`, members });
        }
        break;
      case 'landscape':
        for (const c of d.result.checkpoints) add({ path: c.path, ...(c.sha256 ? { sha256: c.sha256 } : {}) }, c.label ?? null);
        break;
      case 'trainLog': {
        const s = trainLogSolution(d.result);
        if (s) add({ path: s.path ?? s.sha256!, ...(s.sha256 ? { sha256: s.sha256 } : {}) }, d.result.method);
        else out.set(trainRunKey(d.file), { key: trainRunKey(d.file), path: null, sha256: null, checkpoint: false, hint: d.result.method });
        break;
      }
      case 'train':
        if (d.checkpoint) add(d.checkpoint);
        break;
    }
  }
  return [...out.values()];
}

/** Directory names `train` gives the checkpoints inside a run directory. */
const RUN_CHECKPOINT = /^(final|swa|sgd-last|snapshot-\d+|epoch-\d+)$/;

/**
 * A short name for a checkpoint directory: its own name, or for a checkpoint inside a
 * training run the run's name ('runs/sam/final' -> 'sam', 'runs/swa/sgd-last' ->
 * 'swa/sgd-last').
 */
export function checkpointName(p: string): string {
  const base = path.basename(p) || p;
  const parent = path.basename(path.dirname(p));
  if (!RUN_CHECKPOINT.test(base) || parent === '' || parent === '.' || parent === '..') return base;
  return base === 'final' ? parent : `${parent}/${base}`;
}

function dirName(p: string): string {
  return checkpointName(p);
}

/**
 * Labels given per checkpoint path (as `compare` knows them): the solutions whose path is
 * one of `checkpoints` get the label at the same index. Keys are solution keys.
 */
export function labelsForCheckpoints(
  solutions: readonly SolutionRef[],
  checkpoints: readonly string[],
  labels: readonly string[],
): Map<string, string> {
  if (labels.length !== checkpoints.length) {
    throw new UsageError(`report: ${labels.length} labels for ${checkpoints.length} checkpoints; give one label per checkpoint`);
  }
  const byPath = new Map(checkpoints.map((c, i) => [path.resolve(normalisePath(c)), labels[i]!]));
  const out = new Map<string, string>();
  for (const s of solutions) {
    const l = s.path === null ? undefined : byPath.get(path.resolve(s.path));
    if (l !== undefined) out.set(s.key, l);
  }
  return out;
}

/**
 * Labels of the solutions: `given` — --labels for the checkpoints in order of first
 * appearance, or labels by solution key (see labelsForCheckpoints) — then for each
 * remaining one its sidecar method (`methods[i]`, by solution), the results' hint or its
 * directory name. Repeated defaults are told apart by the part of their paths that
 * differs, then by a number. Throws InputError when --labels gives more labels than there
 * are checkpoints, or repeats one.
 */
export function assignLabels(
  solutions: readonly SolutionRef[],
  given: readonly string[] | ReadonlyMap<string, string> = [],
  methods: readonly (string | undefined)[] = [],
): Map<string, string> {
  const checkpoints = solutions.filter((s) => s.checkpoint);
  const byKey = new Map<string, string>();
  if (Array.isArray(given)) {
    const list = given as readonly string[];
    if (list.length > checkpoints.length) {
      throw new InputError(
        `report: --labels gives ${list.length} labels but the results name ${checkpoints.length} checkpoint${checkpoints.length === 1 ? '' : 's'} (${checkpoints.map((c) => c.path).join(', ')})`,
      );
    }
    checkpoints.forEach((c, i) => {
      if (i < list.length) byKey.set(c.key, list[i]!);
    });
  } else {
    for (const [k, l] of given as ReadonlyMap<string, string>) byKey.set(k, l);
  }
  const seen = new Set<string>();
  for (const g of byKey.values()) {
    if (seen.has(g)) throw new InputError(`report: --labels repeats '${g}'; each solution needs its own label`);
    seen.add(g);
  }
  const labels = new Map<string, string>();
  const fixed = new Set<string>();
  for (const s of solutions) {
    const l = byKey.get(s.key);
    if (l !== undefined) {
      labels.set(s.key, l);
      fixed.add(s.key);
    }
  }
  solutions.forEach((s, i) => {
    if (!labels.has(s.key)) labels.set(s.key, methods[i] ?? s.hint ?? (s.path ? dirName(s.path) : s.key));
  });
  const counts = () => {
    const c = new Map<string, number>();
    for (const l of labels.values()) c.set(l, (c.get(l) ?? 0) + 1);
    return c;
  };
  // Repeated defaults: first the part of their paths that tells them apart, then a number.
  const groups = new Map<string, SolutionRef[]>();
  for (const s of solutions) {
    if (fixed.has(s.key)) continue;
    const l = labels.get(s.key)!;
    groups.set(l, [...(groups.get(l) ?? []), s]);
  }
  for (const [l, group] of groups) {
    if (group.length < 2 || group.some((s) => s.path === null)) continue;
    const parts = group.map((s) => s.path!.split(/[\\/]+/).reverse());
    const depth = Math.max(...parts.map((p) => p.length));
    for (let k = 0; k < depth; k++) {
      const names = parts.map((p) => p[k]);
      if (new Set(names).size === 1) continue;
      if (names.every((n) => n !== undefined && n !== '') && new Set(names).size === names.length) {
        group.forEach((s, i) => labels.set(s.key, l === dirName(s.path!) ? names[i]! : `${l} (${names[i]})`));
      }
      break;
    }
  }
  // An ensemble of members that share a name ('FGE 1', 'FGE 2', ...) is that name's ensemble.
  for (const s of solutions) {
    if (fixed.has(s.key) || !s.members || s.members.length === 0) continue;
    const words = s.members.map((m) => /^(\S+)\s+\S/.exec(labels.get(m) ?? '')?.[1]);
    if (words[0] !== undefined && words.every((w) => w === words[0])) labels.set(s.key, `${words[0]} ${labels.get(s.key)!}`);
  }
  const c = counts();
  const used = new Set([...labels.entries()].filter(([k]) => fixed.has(k)).map(([, l]) => l));
  for (const s of solutions) {
    if (fixed.has(s.key)) continue;
    let l = labels.get(s.key)!;
    if (c.get(l)! > 1 || used.has(l)) {
      const base = l;
      for (let n = 2; used.has(l); n++) l = `${base} (${n})`;
    }
    used.add(l);
    labels.set(s.key, l);
  }
  return new Map(solutions.map((s) => [s.key, labels.get(s.key)!]));
}

// ---------------------------------------------------------------------------------------
// Figure inputs

export interface ReportInputs {
  /** Every label, in order: fixes each solution's colour in every figure. */
  solutions: string[];
  rays: RaysFigureInput | null;
  lines: LineFigureInput[];
  planes: PlaneFigureInput[];
  spectra: SpectraFigureInput | null;
  ball: BallFigureInput | null;
  volume: VolumeFigureInput | null;
  training: TrainingFigureInput | null;
  /** Rows of the comparison table, in solution order (solutions with no measure left out). */
  measures: SolutionMeasures[];
  /** Measured widths against their predictions from the Hessian (widthConsistency.ts). */
  consistency?: ConsistencyRow[];
}

/** The most points of a per-iteration learning-rate curve; longer ones keep each bucket's extremes. */
export const MAX_LR_POINTS = 4000;

/** Thins a per-iteration curve to at most ~MAX_LR_POINTS points, keeping each bucket's min and max (cycles stay visible). */
export function thinLr(lr: readonly number[], batchesPerEpoch: number, max = MAX_LR_POINTS): LrPoint[] {
  const at = (i: number): LrPoint => ({ epoch: (i + 1) / batchesPerEpoch, lr: lr[i]! });
  if (lr.length <= max) return lr.map((_, i) => at(i));
  const bucket = Math.ceil((2 * lr.length) / max);
  const out: LrPoint[] = [];
  for (let start = 0; start < lr.length; start += bucket) {
    let lo = start;
    let hi = start;
    const end = Math.min(lr.length, start + bucket);
    for (let i = start; i < end; i++) {
      if (lr[i]! < lr[lo]!) lo = i;
      if (lr[i]! > lr[hi]!) hi = i;
    }
    for (const i of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) out.push(at(i));
  }
  return out;
}

const PLANE_SECOND: readonly PlaneMetricName[] = ['evalError', 'evalLoss', 'trainError'];

function planeInput(r: LandscapeView, label: (c: CheckpointId) => string): PlaneFigureInput {
  const xs = r.axes.x.values;
  const ys = r.axes.y?.values ?? [];
  const grid = (name: PlaneMetricName) => {
    const g: (number | null)[][] = ys.map(() => xs.map(() => null));
    r.points.forEach((p, k) => {
      const i = p.i ?? k;
      const row = g[Math.floor(i / xs.length)];
      if (row) row[i % xs.length] = p[name] ?? null;
    });
    return g;
  };
  const has = (name: PlaneMetricName) => r.points.some((p) => typeof p[name] === 'number');
  const names: PlaneMetricName[] = ['trainLoss'];
  const second = PLANE_SECOND.find(has);
  if (second) names.push(second);
  const random = r.kind === 'random-plane';
  return {
    ...(r.l2 ? { l2: r.l2 } : {}),
    xs,
    ys,
    metrics: names.filter(has).map((name) => ({ name, values: grid(name) })),
    checkpoints: r.checkpoints.map((c) => ({ label: label(c), x: c.x, y: c.y ?? 0, ...(c.offPlane === undefined ? {} : { offPlane: c.offPlane }), values: pick(c) })),
    xTitle: random ? 'direction 1' : `${r.axes.x.name || 'x'} (along w₂ − w₁)`,
    yTitle: random ? 'direction 2' : `${r.axes.y?.name || 'y'} (towards w₃)`,
  };
}

/** Builds every figure's input and the table's rows; `labels` maps solution keys to labels (see assignLabels). */
export function buildReportInputs(docs: readonly ClassifiedDocument[], labels: ReadonlyMap<string, string>): ReportInputs {
  const solutions = listSolutions(docs);
  const label = (c: CheckpointId) => labels.get(solutionKey(c)) ?? normalisePath(c.path);
  const measures = new Map<string, SolutionMeasures>();
  const measure = (key: string): SolutionMeasures => {
    let m = measures.get(key);
    if (!m) {
      m = { label: labels.get(key) ?? key };
      measures.set(key, m);
    }
    return m;
  };
  const rays: RaysFigureInput['solutions'] = [];
  let rayNorm: string | undefined;
  let rayL2: number | undefined;
  const lines: LineFigureInput[] = [];
  const planes: PlaneFigureInput[] = [];
  const spectra = new Map<string, SpectraFigureInput['solutions'][number]>();
  const ball: BallFigureInput['series'] = [];
  const volume: VolumeFigureInput['series'] = [];
  const runs: TrainingFigureInput['runs'] = [];
  const accuracyFromLogs: { key: string; value: number; samples: number }[] = [];
  const widths = new Map<string, WidthData>();
  const width = (c: CheckpointId): WidthData => {
    const key = solutionKey(c);
    let w = widths.get(key);
    if (!w) {
      w = { label: label(c) };
      widths.set(key, w);
    }
    return w;
  };

  for (const d of docs) {
    switch (d.kind) {
      case 'ball': {
        const l = label(d.checkpoint);
        ball.push({ label: l, norm: d.result.norm, adaptive: d.result.adaptive, baseLoss: d.result.baseLoss, points: d.result.points });
        if (d.result.norm === 'l2' && !d.result.adaptive) width(d.checkpoint).l2Ball = { baseLoss: d.result.baseLoss, points: d.result.points };
        const m = measure(solutionKey(d.checkpoint));
        m.sharpness = [
          ...(m.sharpness ?? []),
          ...d.result.points.map((p) => ({ norm: d.result.norm, adaptive: d.result.adaptive, radius: p.radius, keskar: p.keskar })),
        ];
        break;
      }
      case 'volume': {
        const r = d.result;
        volume.push({
          label: label(d.checkpoint),
          radii: r.radii,
          censored: r.censored.indices,
          maxRadius: r.maxRadius,
          delta: r.delta,
          norm: r.norm,
          dimension: r.dimension,
          geometricMeanRadius: r.geometricMeanRadius,
        });
        if (r.norm === 'none') {
          const w = width(d.checkpoint);
          w.volume = { delta: r.delta, radii: r.radii, censored: r.censored.indices, geometricMeanRadius: r.geometricMeanRadius };
          w.dimension = r.dimension;
        }
        const m = measure(solutionKey(d.checkpoint));
        m.logVolume = [
          ...(m.logVolume ?? []),
          { value: r.logVolume, ci: r.logVolumeCI, level: r.confidence, lowerBound: r.lowerBound, delta: r.delta, norm: r.norm },
        ];
        break;
      }
      case 'hessian': {
        const r = d.result;
        const l = label(d.checkpoint);
        const descending = r.order !== 'ascending';
        spectra.set(l, {
          label: l,
          eigenvalues: descending ? r.eigenvalues : [],
          ...(r.density ? { density: r.density } : {}),
          ...(r.trace ? { trace: r.trace } : {}),
        });
        const m = measure(solutionKey(d.checkpoint));
        if (descending && r.eigenvalues.length > 0) m.lambdaMax = { value: r.eigenvalues[0]!, residual: r.residuals[0] ?? null };
        if (r.trace) m.trace = r.trace;
        const w = width(d.checkpoint);
        if (descending && r.eigenvalues.length > 0) w.lambdaMax = r.eigenvalues[0]!;
        if (r.trace) w.trace = r.trace.estimate;
        break;
      }
      case 'evaluate': {
        for (const model of d.result.models) {
          if (model.accuracy === null) continue;
          const key = solutionKey({ path: model.checkpoint, ...(model.sha256 ? { sha256: model.sha256 } : {}) });
          measure(key).accuracy = { value: model.accuracy, samples: d.samples ?? 0 };
        }
        const e = d.result.ensemble;
        if (e && e.accuracy !== null) measure(ensembleKey(d.file)).accuracy = { value: e.accuracy, samples: d.samples ?? 0 };
        break;
      }
      case 'landscape': {
        const r = d.result;
        if (r.kind === 'rays') {
          const c = r.checkpoints[0];
          const l = c ? label(c) : path.basename(d.file, '.json');
          rayNorm ??= r.directions?.norm;
          if (r.l2) rayL2 = r.l2;
          const series =
            r.rays?.map((ray) => ({ index: ray.index, points: ray.series.map((p) => ({ ...p })) })) ??
            [...new Set(r.points.map((p) => p.ray!))].map((index) => ({
              index,
              points: r.points.filter((p) => p.ray === index).map((p) => ({ ...pick(p), distance: p.distance ?? p.x })),
            }));
          rays.push({ label: l, rays: series });
        } else if (r.kind === 'line') {
          lines.push({
            ...(r.l2 ? { l2: r.l2 } : {}),
            points: r.points.map((p) => ({ ...pick(p), alpha: p.x })),
            checkpoints: r.checkpoints.map((c) => ({ label: label(c), alpha: c.x, values: pick(c) })),
          });
        } else {
          planes.push(planeInput(r, label));
        }
        break;
      }
      case 'trainLog': {
        const r = d.result;
        const s = trainLogSolution(r);
        const key = s ? solutionKey({ path: s.path ?? s.sha256!, ...(s.sha256 ? { sha256: s.sha256 } : {}) }) : trainRunKey(d.file);
        const epochs: EpochPoint[] = r.epochs.map((e) => ({
          epoch: e.epoch,
          trainLoss: e.trainLoss,
          trainAcc: e.trainAccuracy,
          evalLoss: e.evalLoss,
          evalAcc: e.evalAccuracy,
          lr: e.lr,
          ...(e.swa && e.swa.count > 0 ? { averageEvalAcc: e.swa.evalAccuracy } : {}),
        }));
        const firstAverage = r.epochs.find((e) => e.swa && e.swa.count > 0);
        runs.push({
          label: labels.get(key) ?? r.method,
          epochs,
          ...(r.iterations?.lr && r.iterations.lr.length > 0 ? { lr: thinLr(r.iterations.lr, r.batchesPerEpoch) } : {}),
          // Averaging starts during the epoch before the first record that has an average.
          ...(firstAverage ? { averageStart: firstAverage.epoch - 1 } : {}),
        });
        const acc = s ? r.solutions?.final?.eval?.accuracy : null;
        if (s && typeof acc === 'number' && r.evalData) accuracyFromLogs.push({ key, value: acc, samples: r.evalData.samples });
        break;
      }
      case 'train':
        break;
    }
  }
  for (const a of accuracyFromLogs) {
    const m = measure(a.key);
    m.accuracy ??= { value: a.value, samples: a.samples };
  }
  const order = solutions.map((s) => s.key);
  const rows = [...measures.entries()]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([, m]) => m)
    .filter((m) => m.accuracy || m.lambdaMax || m.trace || m.sharpness || m.logVolume);
  const distanceTitle = rayNorm && rayNorm !== 'none' ? `distance (${rayNorm}-normalised directions)` : 'distance';
  return {
    solutions: solutions.map((s) => labels.get(s.key) ?? s.key),
    rays: rays.length > 0 ? { solutions: rays, distanceTitle, ...(rayL2 ? { l2: rayL2 } : {}), ...(rayNorm ? { directionNorm: rayNorm } : {}) } : null,
    lines,
    planes,
    spectra: spectra.size > 0 ? { solutions: [...spectra.values()] } : null,
    ball: ball.length > 0 ? { series: ball } : null,
    volume: volume.length > 0 ? { series: volume } : null,
    training: runs.length > 0 ? { runs } : null,
    measures: rows,
    consistency: widthConsistency([...widths.values()]),
  };
}

function pick(v: Values): Values {
  return { trainLoss: v.trainLoss ?? null, trainError: v.trainError ?? null, evalLoss: v.evalLoss ?? null, evalError: v.evalError ?? null };
}
