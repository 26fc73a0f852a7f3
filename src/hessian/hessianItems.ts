/**
 * The Hessian report as independent items, so that it can be split into shards, computed on
 * worker threads and resumed after an interruption, with the same numbers as one run:
 *
 *   item 0                 the eigenpairs (Lanczos or power iteration: sequential, one item;
 *                          first, so that a worker starts the longest item early)
 *   then, with --trace     one item per Hutchinson probe; with hutch++ the whole trace is
 *                          one item (its sketch, the exact part on the sketch's basis and the
 *                          Hutchinson part on the remainder are chained: not separable)
 *   then, with --density   one item per SLQ run
 *   then, with --per-layer one item per layer (its top eigenvalue and trace)
 *
 * Item i depends only on the operator, the options and i (every random stream is forked by
 * the item's own index), never on which process computed it or in which order; a record is
 * JSON-safe (finite numbers, arrays, plain objects) and records the HVPs it cost.
 * assembleHessianReport puts the records back together into exactly the report that
 * hessianReport returns.
 */
import { InputError, NumericError, UsageError } from '../errors.ts';
import type { HvpOperator } from './HvpOperator.ts';
import { eigenpairs } from './Hessian.ts';
import { hutchinsonProbes, hutchPlusPlus, summariseTrace } from './hutchinson.ts';
import { densityFromRuns, slqRuns } from './slq.ts';
import { layerGroups, layerResult } from './perLayer.ts';
import { resolveHessianOptions, type HessianOptions } from './hessianOptions.ts';
import { TraceMethod, Which, type EigenResult, type TraceResult } from './types.ts';
import type { DensityJson, HessianReport, LayerJson, TraceJson } from '../results/hessianDocument.ts';

/** What an item computes. */
export const HessianItemKind = {
  /** The top-k (or bottom-k) eigenpairs. */
  eigen: 'eigen',
  /** One Hutchinson probe v_i' H v_i. */
  probe: 'probe',
  /** The whole Hutch++ trace (not separable into probes). */
  trace: 'trace',
  /** One stochastic Lanczos quadrature run. */
  slqRun: 'slqRun',
  /** One layer's diagonal block: top eigenvalue and trace. */
  layer: 'layer',
} as const;
export type HessianItemKind = (typeof HessianItemKind)[keyof typeof HessianItemKind];
export const HESSIAN_ITEM_KINDS: readonly HessianItemKind[] = Object.values(HessianItemKind);
export function isHessianItemKind(x: unknown): x is HessianItemKind {
  return typeof x === 'string' && (HESSIAN_ITEM_KINDS as readonly string[]).includes(x);
}

/** Item i of the plan: its kind and its index among the items of that kind. */
export interface HessianItemSpec {
  kind: HessianItemKind;
  index: number;
}

/** The eigen-solver's result without eigenvectors: what the report spreads at its top. */
export type EigenSummary = Omit<EigenResult, 'eigenvectors'>;

export type HessianItemRecord =
  | { kind: 'eigen'; index: 0; eigen: EigenSummary; hvps: number }
  | { kind: 'probe'; index: number; value: number; hvps: number }
  | { kind: 'trace'; index: 0; trace: TraceJson; hvps: number }
  | { kind: 'slqRun'; index: number; nodes: number[]; weights: number[]; steps: number; hvps: number }
  | { kind: 'layer'; index: number; layer: LayerJson; hvps: number };

/** The trace without its seed, which the report records once at the top. */
export function traceJson(t: TraceResult): TraceJson {
  return { method: t.method, estimate: t.estimate, stderr: t.stderr, samples: t.samples, hvps: t.hvps };
}

/** The items of the fixed part (all but the layers), in order. */
function fixedItems(o: HessianOptions): HessianItemSpec[] {
  const items: HessianItemSpec[] = [{ kind: HessianItemKind.eigen, index: 0 }];
  if (o.trace) {
    if (o.traceMethod === TraceMethod.hutchinson) for (let i = 0; i < o.probes; i++) items.push({ kind: HessianItemKind.probe, index: i });
    else items.push({ kind: HessianItemKind.trace, index: 0 });
  }
  if (o.density) for (let i = 0; i < o.runs; i++) items.push({ kind: HessianItemKind.slqRun, index: i });
  return items;
}

/**
 * The items the options ask for on an operator whose parameter blocks are called `names`
 * (op.names: they group into layers for --per-layer). Checks the options (UsageError).
 */
export function hessianItemPlan(options: Partial<HessianOptions>, names: readonly string[]): HessianItemSpec[] {
  const o = resolveHessianOptions(options);
  const items = fixedItems(o);
  if (o.perLayer) layerGroups(names).forEach((_, j) => items.push({ kind: HessianItemKind.layer, index: j }));
  return items;
}

/** Item i of hessianItemPlan(options, op.names), computed on `op`. */
export function hessianItem(op: HvpOperator, options: Partial<HessianOptions>, i: number): HessianItemRecord {
  const where = 'hessian';
  const o = resolveHessianOptions(options, op.dimension);
  const plan = hessianItemPlan(o, op.names);
  if (!Number.isInteger(i) || i < 0 || i >= plan.length) {
    throw new UsageError(`${where}: the item index must be an integer in [0, ${plan.length - 1}], got ${String(i)}`);
  }
  const spec = plan[i]!;
  const before = op.hvps;
  const hvps = () => op.hvps - before;
  let record: HessianItemRecord;
  switch (spec.kind) {
    case HessianItemKind.eigen: {
      const { eigenvectors: _, ...eigen } = eigenpairs(op, {
        solver: o.solver,
        topK: o.topK,
        which: o.smallest ? Which.smallest : Which.largest,
        tol: o.tol,
        maxIter: o.maxIter,
        seed: o.seed,
      });
      record = { kind: spec.kind, index: 0, eigen, hvps: hvps() };
      break;
    }
    case HessianItemKind.probe: {
      const [sample] = hutchinsonProbes(op, o.seed, [spec.index]);
      record = { kind: spec.kind, index: spec.index, value: sample!.value, hvps: hvps() };
      break;
    }
    case HessianItemKind.trace:
      record = { kind: spec.kind, index: 0, trace: traceJson(hutchPlusPlus(op, { probes: o.probes, seed: o.seed })), hvps: hvps() };
      break;
    case HessianItemKind.slqRun: {
      const [run] = slqRuns(op, { steps: o.steps, seed: o.seed }, [spec.index]);
      record = { kind: spec.kind, index: spec.index, nodes: run!.nodes, weights: run!.weights, steps: run!.steps, hvps: hvps() };
      break;
    }
    case HessianItemKind.layer: {
      const l = layerResult(op, { solver: o.solver, tol: o.tol, maxIter: o.maxIter, seed: o.seed, traceMethod: o.traceMethod, probes: o.probes }, spec.index);
      const layer: LayerJson = {
        layer: l.layer,
        blocks: l.blocks,
        dimension: l.dimension,
        eigenvalue: l.eigen.eigenvalues[0]!,
        residual: l.eigen.residuals[0]!,
        converged: l.eigen.converged,
        iterations: l.eigen.iterations,
        seed: l.eigen.seed,
        trace: traceJson(l.trace),
        hvps: l.eigen.hvps + l.trace.hvps,
      };
      record = { kind: spec.kind, index: spec.index, layer, hvps: hvps() };
      break;
    }
  }
  const bad = nonFinitePath(record);
  if (bad !== null) throw new NumericError(`${where}: item ${i} (${spec.kind} ${spec.index}) has a non-finite number at ${bad}`);
  return record;
}

/** HVPs the record cost. */
export function hessianRecordHvps(record: HessianItemRecord): number {
  return record.hvps;
}

/**
 * The report from the records of every item of the plan, in index order: exactly what
 * hessianReport returns (same fields, same order, same totalHvps). Records that do not
 * fit the options are refused (InputError).
 */
export function assembleHessianReport(options: Partial<HessianOptions>, records: readonly HessianItemRecord[]): HessianReport {
  const where = 'hessian';
  const o = resolveHessianOptions(options);
  const fixed = fixedItems(o);
  const expected = [...fixed];
  // The number of layers is not known from the options alone: every record after the fixed ones is one.
  if (o.perLayer) for (let j = 0; j < records.length - fixed.length; j++) expected.push({ kind: HessianItemKind.layer, index: j });
  if (records.length !== expected.length || (o.perLayer && records.length === fixed.length)) {
    throw new InputError(`${where}: the options ask for ${fixed.length} items${o.perLayer ? ' and one per layer (at least one)' : ''}, got ${records.length} records`);
  }
  records.forEach((r, i) => {
    const e = expected[i]!;
    if (r.kind !== e.kind || r.index !== e.index) {
      throw new InputError(`${where}: record ${i} is ${r.kind} ${r.index}, expected ${e.kind} ${e.index}`);
    }
  });
  const of = <K extends HessianItemKind>(kind: K) => records.filter((r): r is Extract<HessianItemRecord, { kind: K }> => r.kind === kind);
  const sum = (rs: readonly { hvps: number }[]) => rs.reduce((s, r) => s + r.hvps, 0);

  const eigen = of(HessianItemKind.eigen)[0]!.eigen;
  // totalHvps is filled in last but keeps its place after `order`, as it always has.
  const report: HessianReport = { ...eigen, order: eigen.which === Which.smallest ? 'ascending' : 'descending', totalHvps: 0 };
  if (o.trace) {
    if (o.traceMethod === TraceMethod.hutchinson) {
      const probes = of(HessianItemKind.probe);
      report.trace = { method: TraceMethod.hutchinson, ...summariseTrace(probes), hvps: sum(probes) };
    } else {
      report.trace = of(HessianItemKind.trace)[0]!.trace;
    }
  }
  if (o.density) {
    const runs = of(HessianItemKind.slqRun);
    const d = densityFromRuns(runs, { sigma: o.sigma, gridPoints: o.gridPoints });
    const density: DensityJson = {
      nodes: runs.map((r) => r.nodes),
      weights: runs.map((r) => r.weights),
      grid: d.grid,
      values: d.values,
      sigma: d.sigma,
      runs: runs.length,
      steps: o.steps,
      hvps: sum(runs),
    };
    report.density = density;
  }
  if (o.perLayer) report.perLayer = of(HessianItemKind.layer).map((r) => r.layer);
  report.totalHvps = sum(records);
  return report;
}

// ---- records read back from progress files and shards ----

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isFinite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isFiniteArray = (x: unknown): x is number[] => Array.isArray(x) && x.every(isFinite);
const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isBoolArray = (x: unknown): x is boolean[] => Array.isArray(x) && x.every((b) => typeof b === 'boolean');

/** Where in `x` a number is NaN or infinite (a path like `eigen.residuals[1]`), or null. */
function nonFinitePath(x: unknown, path = ''): string | null {
  if (typeof x === 'number') return Number.isFinite(x) ? null : path || '(top)';
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const p = nonFinitePath(x[i], `${path}[${i}]`);
      if (p !== null) return p;
    }
  } else if (isObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      const p = nonFinitePath(v, path ? `${path}.${k}` : k);
      if (p !== null) return p;
    }
  }
  return null;
}

function isTraceJson(x: unknown): x is TraceJson {
  return (
    isObject(x) &&
    (x['method'] === TraceMethod.hutchinson || x['method'] === TraceMethod.hutchPlusPlus) &&
    isFinite(x['estimate']) &&
    (x['stderr'] === null || isFinite(x['stderr'])) &&
    isCount(x['samples']) &&
    isCount(x['hvps'])
  );
}

function isEigenSummary(x: unknown): x is EigenSummary {
  if (!isObject(x)) return false;
  const n = Array.isArray(x['eigenvalues']) ? x['eigenvalues'].length : -1;
  const sameLength = (a: unknown) => Array.isArray(a) && a.length === n;
  return (
    (x['solver'] === 'lanczos' || x['solver'] === 'power') &&
    (x['which'] === Which.largest || x['which'] === Which.smallest) &&
    isFiniteArray(x['eigenvalues']) &&
    isFiniteArray(x['residuals']) &&
    sameLength(x['residuals']) &&
    isFiniteArray(x['ritzResiduals']) &&
    sameLength(x['ritzResiduals']) &&
    isFiniteArray(x['errorBounds']) &&
    sameLength(x['errorBounds']) &&
    Array.isArray(x['gaps']) &&
    sameLength(x['gaps']) &&
    (x['gaps'] as unknown[]).every((g) => g === null || isFinite(g)) &&
    isBoolArray(x['convergedEach']) &&
    sameLength(x['convergedEach']) &&
    typeof x['converged'] === 'boolean' &&
    isCount(x['iterations']) &&
    isCount(x['hvps']) &&
    isCount(x['seed']) &&
    isFinite(x['tol']) &&
    isCount(x['maxIter']) &&
    (x['restarts'] === undefined || isCount(x['restarts'])) &&
    (x['verified'] === undefined || typeof x['verified'] === 'boolean')
  );
}

function isLayerJson(x: unknown): x is LayerJson {
  return (
    isObject(x) &&
    typeof x['layer'] === 'string' &&
    isStringArray(x['blocks']) &&
    isCount(x['dimension']) &&
    isFinite(x['eigenvalue']) &&
    isFinite(x['residual']) &&
    typeof x['converged'] === 'boolean' &&
    isCount(x['iterations']) &&
    isCount(x['seed']) &&
    isTraceJson(x['trace']) &&
    isCount(x['hvps'])
  );
}

/** What is wrong with `x` as a record of kind `kind`, or null. */
function recordProblem(x: Record<string, unknown>): string | null {
  if (!isHessianItemKind(x['kind'])) return `kind must be one of ${HESSIAN_ITEM_KINDS.join(', ')}, got ${JSON.stringify(x['kind'])}`;
  if (!isCount(x['index'])) return `index must be an integer >= 0, got ${JSON.stringify(x['index'])}`;
  if (!isCount(x['hvps'])) return `hvps must be an integer >= 0, got ${JSON.stringify(x['hvps'])}`;
  switch (x['kind']) {
    case HessianItemKind.eigen:
      return isEigenSummary(x['eigen']) ? null : 'eigen is not an eigen-solver result';
    case HessianItemKind.probe:
      return isFinite(x['value']) ? null : `value must be a finite number, got ${JSON.stringify(x['value'])}`;
    case HessianItemKind.trace:
      return isTraceJson(x['trace']) ? null : 'trace is not a trace estimate';
    case HessianItemKind.slqRun: {
      const nodes = x['nodes'];
      const weights = x['weights'];
      if (!isFiniteArray(nodes) || nodes.length === 0) return 'nodes must be a non-empty array of finite numbers';
      if (!isFiniteArray(weights) || weights.length !== nodes.length) return 'weights must be finite numbers, one per node';
      return isCount(x['steps']) ? null : `steps must be an integer >= 0, got ${JSON.stringify(x['steps'])}`;
    }
    case HessianItemKind.layer:
      return isLayerJson(x['layer']) ? null : 'layer is not a per-layer result';
  }
  return null;
}

/**
 * Checks a record read back from a file (a progress file or a shard, named by `where`) and
 * returns it typed; throws InputError naming the file, the item and the problem.
 */
export function checkHessianRecord(value: unknown, i: number, where: string): HessianItemRecord {
  const problem = isObject(value) ? recordProblem(value) : `expected an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  if (problem !== null) throw new InputError(`${where}: item ${i} is not a hessian item record (${problem})`);
  return value as HessianItemRecord;
}
