/**
 * `sharpness selftest`: every measure run on the known minima (fixtures/known-minima/) and
 * compared with their closed-form goldens, so an installation (a backend, a GPU) can be
 * verified in one call. The measures run through the same library functions the commands
 * use (loadCheckpoint, loadDataset, createModelObjective, hessianReport, ballSharpness,
 * flatVolume) with the options each golden records, and the same comparison as `check`
 * (compareResults) with the tolerances each golden states. The rescaled ReLU twin is checked
 * against its relation: the same loss, the same adaptive sharpness, a different plain one.
 *
 * The engine must be initialised by the caller (the CLI does it from --backend).
 */
import path from 'node:path';
import { tf } from '../engine/tf.ts';
import type { EngineInfo } from '../engine/backend.ts';
import { UsageError } from '../errors.ts';
import { openAnalysisFor, type Analysis } from '../analysis/openAnalysis.ts';
import { engineRef, makeResultDocument, type ResultDocument } from '../results/resultDocument.ts';
import { BnMode } from '../objective/Objective.ts';
import { AUTO_BATCH_SIZE, type BatchSize } from '../objective/objectiveDefaults.ts';
import type { Objective } from '../objective/Objective.ts';
import { hvpOperator } from '../hessian/HvpOperator.ts';
import { hessianReport, type HessianOptions } from '../hessian/hessianReport.ts';
import { ballSharpness, parseRadii, type BallResult } from '../sharpness/ballSharpness.ts';
import { flatVolume } from '../sharpness/flatVolume.ts';
import type { BallNorm } from '../sharpness/perturbationSet.ts';
import type { Norm } from '../directions/normalizeDirection.ts';
import { compareResults, Verdict, type CheckReport } from './compareResults.ts';
import { readResultDocument } from './readResultDocument.ts';
import {
  KNOWN_MINIMA_DIR,
  loadKnownMinima,
  loadRelation,
  type GoldenInfo,
  type KnownMinimaManifest,
  type KnownMinimum,
  type RescalingRelation,
} from './knownMinima.ts';
import { DEFAULT_SEED } from '../engine/rng.ts';

export interface SelftestOptions {
  /** The known-minima directory (default: the package's fixtures/known-minima). */
  dir?: string;
  /** Only these minima (by name); default all. */
  only?: readonly string[];
  /** Recorded in the result documents (default: from the current tfjs backend). */
  engine?: EngineInfo;
  /** A line after each golden and relation. */
  onProgress?: (line: string) => void;
}

export interface SelftestCase {
  minimum: string;
  /** The golden file, relative to the known-minima directory. */
  golden: string;
  command: string;
  tolerances: { rtol: number; atol: number; sigma: number };
  ok: boolean;
  report: CheckReport;
  seconds: number;
}

/** A row of a relation check; `allowed` says in words what passes. */
export interface RelationRow {
  measure: string;
  baseline: number | null;
  now: number | null;
  difference: number | null;
  allowed: string;
  verdict: Verdict;
}

export interface SelftestRelation {
  /** e.g. 'relu-rescaled/rescaling'. */
  name: string;
  file: string;
  description: string;
  ok: boolean;
  rows: RelationRow[];
  seconds: number;
}

export interface SelftestReport {
  ok: boolean;
  backend: string;
  dir: string;
  cases: SelftestCase[];
  relations: SelftestRelation[];
  /** Checks run (goldens + relations) and those that failed. */
  counts: { checks: number; failed: number };
  seconds: number;
}

type Opened = Analysis;

/** A known minimum opened by the same opener the commands use (BatchNorm in eval mode, default chunks). */
async function openMinimum(dir: string, m: KnownMinimum, l2: number): Promise<Opened> {
  const spec = { checkpoint: path.join(dir, m.checkpoint), data: m.data, loss: m.loss, bn: BnMode.eval, l2, batchSize: AUTO_BATCH_SIZE as BatchSize, seed: DEFAULT_SEED };
  return openAnalysisFor(spec, { cwd: dir, engine: currentEngine() });
}

function currentEngine(): EngineInfo {
  const backend = tf.getBackend();
  return { requested: 'auto', backend, device: backend, threads: 1, tfjsVersion: tf.version_core };
}

type Options = Record<string, unknown>;

const num = (o: Options, k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
const bool = (o: Options, k: string): boolean | undefined => (typeof o[k] === 'boolean' ? (o[k] as boolean) : undefined);
const str = (o: Options, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

function hessianOptions(o: Options, seed: number): Partial<HessianOptions> {
  const out: Partial<HessianOptions> = { seed };
  const set = <K extends keyof HessianOptions>(k: K, v: HessianOptions[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('solver', str(o, 'solver') as HessianOptions['solver'] | undefined);
  set('topK', num(o, 'topK'));
  set('smallest', bool(o, 'smallest'));
  set('tol', num(o, 'tol'));
  set('maxIter', num(o, 'maxIter'));
  set('trace', bool(o, 'trace'));
  set('traceMethod', str(o, 'traceMethod') as HessianOptions['traceMethod'] | undefined);
  set('probes', num(o, 'probes'));
  return out;
}

function ballRun(objective: Objective, o: Options, seed: number, overrides: { adaptive?: boolean } = {}): BallResult {
  return ballSharpness(objective, {
    norm: (str(o, 'norm') ?? 'l2') as BallNorm,
    radii: parseRadii(str(o, 'radius') ?? num(o, 'radius') ?? NaN, 'selftest'),
    adaptive: overrides.adaptive ?? bool(o, 'adaptive') ?? false,
    ...(num(o, 'steps') !== undefined ? { steps: num(o, 'steps')! } : {}),
    ...(num(o, 'restarts') !== undefined ? { restarts: num(o, 'restarts')! } : {}),
    ...(num(o, 'samples') !== undefined ? { samples: num(o, 'samples')! } : {}),
    seed,
  });
}

/** Runs the command a golden describes on an opened minimum; returns its result document. */
function runMeasure(a: Opened, command: string, options: Options, seed: number, engine: EngineInfo, label: string): ResultDocument {
  const t0 = performance.now();
  const before = { ...a.objective.cost };
  let result: unknown;
  switch (command) {
    case 'hessian':
      result = hessianReport(hvpOperator(a.objective), hessianOptions(options, seed));
      break;
    case 'ball':
      result = ballRun(a.objective, options, seed);
      break;
    case 'volume':
      result = flatVolume(a.objective, {
        delta: num(options, 'delta') ?? NaN,
        directions: num(options, 'directions') ?? NaN,
        norm: (str(options, 'norm') ?? 'none') as Norm,
        ...(num(options, 'maxRadius') !== undefined ? { maxRadius: num(options, 'maxRadius')! } : {}),
        ...(num(options, 'tolerance') !== undefined ? { tolerance: num(options, 'tolerance')! } : {}),
        ...(num(options, 'bootstrap') !== undefined ? { bootstrap: num(options, 'bootstrap')! } : {}),
        seed,
      });
      break;
    case 'evaluate': {
      const r = a.objective.lossAndAccuracy(a.objective.params);
      result = { models: [{ checkpoint: a.checkpoint.dir, sha256: a.checkpoint.sha256, ...r }], ensemble: null };
      break;
    }
    default:
      throw new UsageError(`selftest: ${label} asks for command '${command}', which the selftest does not run`);
  }
  const ref = {
    path: a.checkpoint.dir,
    sha256: a.checkpoint.sha256,
    parameters: a.checkpoint.paramCount,
    trainableParameters: a.checkpoint.trainableParamCount,
  };
  const c = a.objective.cost;
  return makeResultDocument({
    command,
    options: { ...options, seed },
    seed,
    ...(command === 'evaluate' ? { checkpoints: [ref] } : { checkpoint: ref }),
    data: { spec: a.data.spec, samples: a.data.n, sha256: a.data.sha256 },
    loss: a.loss,
    bn: 'eval',
    l2: a.l2,
    engine: engineRef(engine),
    result,
    cost: {
      seconds: (performance.now() - t0) / 1000,
      lossEvaluations: c.lossEvaluations - before.lossEvaluations,
      gradients: c.gradients - before.gradients,
      hvps: c.hvps - before.hvps,
    },
  });
}

function goldenInfo(doc: ResultDocument, file: string): GoldenInfo {
  const g = (doc as unknown as { golden?: GoldenInfo }).golden;
  const t = g?.tolerances;
  if (!g || !t || typeof t.rtol !== 'number' || typeof t.atol !== 'number' || typeof t.sigma !== 'number') {
    throw new UsageError(`selftest: ${file} has no golden block with tolerances {rtol, atol, sigma}`);
  }
  return g;
}

function stem(file: string): string {
  return path.basename(file).replace(/\.json$/, '');
}

async function checkRescaling(dir: string, file: string, rel: RescalingRelation, minima: Map<string, KnownMinimum>, engine: EngineInfo): Promise<SelftestRelation> {
  const t0 = performance.now();
  const base = minima.get(rel.base);
  const twin = minima.get(rel.twin);
  if (!base || !twin) throw new UsageError(`selftest: ${file} relates ${rel.base} and ${rel.twin}, which the manifest does not both list`);
  const a = await openMinimum(dir, base, 0);
  const b = await openMinimum(dir, twin, 0);
  const rows: RelationRow[] = [];
  try {
    const seed = 0;
    const la = a.objective.loss(a.objective.params);
    const lb = b.objective.loss(b.objective.params);
    const allowedLoss = rel.expect.loss.rtol * Math.abs(la);
    rows.push({
      measure: 'loss (equal: the same function)',
      baseline: la,
      now: lb,
      difference: lb - la,
      allowed: `${allowedLoss.toExponential(2)} (rtol ${rel.expect.loss.rtol})`,
      verdict: Math.abs(lb - la) <= allowedLoss ? Verdict.ok : Verdict.drift,
    });
    const options = { ...rel.ball } as unknown as Options;
    const adaptiveA = runMeasure(a, 'ball', { ...options, adaptive: true }, seed, engine, file);
    const adaptiveB = runMeasure(b, 'ball', { ...options, adaptive: true }, seed, engine, file);
    const cmp = compareResults(adaptiveB, adaptiveA, { ...rel.expect.adaptive, allowDifferentCheckpoint: true });
    for (const r of cmp.rows) {
      if (r.measure === 'ball.baseLoss') continue; // the loss row above
      rows.push({
        measure: `${r.measure} (equal: adaptive)`,
        baseline: r.baseline,
        now: r.now,
        difference: r.difference,
        allowed: `${r.allowed.toExponential(2)}${r.bySigma ? ` (${rel.expect.adaptive.sigma} se)` : ''}`,
        verdict: r.verdict,
      });
    }
    const plainA = ballRun(a.objective, options, seed, { adaptive: false });
    const plainB = ballRun(b.objective, options, seed, { adaptive: false });
    const key = rel.expect.plain.measure;
    plainA.points.forEach((p, i) => {
      const q = plainB.points[i]!;
      const x = p[key];
      const y = q[key];
      const rd = Math.abs(y - x) / Math.max(Math.abs(x), Math.abs(y));
      rows.push({
        measure: `ball.${plainA.norm}.r=${p.radius}.${key} (differ: plain)`,
        baseline: x,
        now: y,
        difference: y - x,
        allowed: `>= ${100 * rel.expect.plain.minRelativeDifference}% apart`,
        verdict: rd >= rel.expect.plain.minRelativeDifference ? Verdict.ok : Verdict.drift,
      });
    });
  } finally {
    a.dispose();
    b.dispose();
  }
  return {
    name: `${rel.twin}/${stem(file)}`,
    file,
    description: rel.description,
    ok: rows.every((r) => r.verdict === Verdict.ok),
    rows,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The minima `only` names (all when it is empty or undefined); UsageError for an unknown name. */
export function selectMinima(manifest: KnownMinimaManifest, only?: readonly string[]): KnownMinimum[] {
  const names = new Set(manifest.minima.map((m) => m.name));
  for (const n of only ?? []) {
    if (!names.has(n)) throw new UsageError(`selftest: --only ${n} is not a known minimum; the known minima are ${[...names].join(', ')}`);
  }
  return manifest.minima.filter((m) => !only || only.length === 0 || only.includes(m.name));
}

/** Runs every golden (and relation) of the known minima; see the module comment. */
export async function runSelftest(opts: SelftestOptions = {}): Promise<SelftestReport> {
  const t0 = performance.now();
  const dir = opts.dir ?? KNOWN_MINIMA_DIR;
  const manifest = await loadKnownMinima(dir);
  const chosen = selectMinima(manifest, opts.only);
  const engine = opts.engine ?? currentEngine();
  const cases: SelftestCase[] = [];
  const relations: SelftestRelation[] = [];
  for (const m of chosen) {
    for (const file of m.goldens) {
      const tc = performance.now();
      const golden = await readResultDocument(path.join(dir, file));
      const info = goldenInfo(golden, file);
      const a = await openMinimum(dir, m, golden.l2 ?? m.l2);
      let report: CheckReport;
      try {
        const doc = runMeasure(a, golden.command, golden.options ?? {}, golden.seed ?? 0, engine, file);
        report = compareResults(doc, golden, { ...info.tolerances, labels: { result: `the ${golden.command} result`, baseline: file } });
      } finally {
        a.dispose();
      }
      const c: SelftestCase = {
        minimum: m.name,
        golden: file,
        command: golden.command,
        tolerances: info.tolerances,
        ok: report.ok,
        report,
        seconds: (performance.now() - tc) / 1000,
      };
      cases.push(c);
      opts.onProgress?.(`selftest: ${m.name}/${stem(file)}: ${c.ok ? 'ok' : 'FAILED'} (${report.counts.ok}/${report.rows.length} measures, ${c.seconds.toFixed(1)} s)`);
    }
  }
  const byName = new Map(manifest.minima.map((m) => [m.name, m]));
  for (const m of chosen) {
    for (const file of m.relations ?? []) {
      const rel = await loadRelation(dir, file);
      if (opts.only && opts.only.length > 0 && !(opts.only.includes(rel.base) && opts.only.includes(rel.twin))) continue;
      const r = await checkRescaling(dir, file, rel, byName, engine);
      relations.push(r);
      opts.onProgress?.(`selftest: ${r.name}: ${r.ok ? 'ok' : 'FAILED'} (${r.rows.filter((x) => x.verdict === Verdict.ok).length}/${r.rows.length} checks, ${r.seconds.toFixed(1)} s)`);
    }
  }
  const failed = cases.filter((c) => !c.ok).length + relations.filter((r) => !r.ok).length;
  return {
    ok: failed === 0,
    backend: engine.backend,
    dir,
    cases,
    relations,
    counts: { checks: cases.length + relations.length, failed },
    seconds: (performance.now() - t0) / 1000,
  };
}
