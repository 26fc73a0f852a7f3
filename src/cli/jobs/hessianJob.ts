/**
 * `sharpness hessian` as an item job (parallel/ItemJob.ts): the items are those of
 * hessian/hessianItems.ts (the eigenpairs, each Hutchinson probe or the whole Hutch++ trace,
 * each SLQ run, each layer). The command line describes the job (describeHessian, every
 * option checked before anything is loaded); the main thread and each worker thread open
 * it from that description; the records of any shards, workers and interrupted runs
 * assemble into the report a single run computes.
 */
import { UsageError } from '../../errors.ts';
import { validateBatchSize, validateL2 } from '../../objective/modelObjective.ts';
import { hvpOperator, type HvpOperator } from '../../hessian/HvpOperator.ts';
import { resolveHessianOptions, type HessianOptions, type ResolvedHessianOptions } from '../../hessian/hessianOptions.ts';
import { assembleHessianReport, checkHessianRecord, hessianItem, hessianItemPlan, type HessianItemRecord } from '../../hessian/hessianItems.ts';
import type { HessianReport } from '../../hessian/hessianReport.ts';
import { formatHessian } from '../../hessian/formatHessian.ts';
import type { ItemJob, JobContext } from '../../parallel/ItemJob.ts';
import { VERSION } from '../../version.ts';
import { analysisHeader, analysisSpecOf, openAnalysisFor, recordedOptions, type AnalysisSpec } from '../../analysis/openAnalysis.ts';

/** Everything the job depends on, as JSON: a worker thread opens the same job from it. */
/** `data` is the spec narrowed by --samples; `seed` seeds the data draw and every probe, start vector and run. */
export interface HessianDescription extends AnalysisSpec {
  /** The resolved Hessian options (their seed is `seed`). */
  options: ResolvedHessianOptions;
  /** Note the HVPs spent on stderr every few seconds (not with --quiet); no effect on values. */
  notes: boolean;
  /** The options as the command line gave them, recorded in the result (as every command does). */
  recorded?: Record<string, unknown>;
}

/** The command-line options the description is built from. */
export interface HessianArgs extends Omit<HessianOptions, 'maxIter' | 'sigma' | 'seed'>, AnalysisSpec {
  quiet: boolean;
  samples: number | undefined;
  maxIter: number | undefined;
  sigma: number | undefined;
}

/** --samples N narrows a data spec to its first N samples where the spec allows a count. */
export function withSamples(spec: string, n: number): string {
  const m = /^(mnist|fashion-mnist):(train|test)(?::\d+)?$/.exec(spec);
  if (m) return `${m[1]}:${m[2]}:${n}`;
  const s = /^synthetic:(\w+)(?::\d+)?((?::seed=\d+)?)$/.exec(spec);
  if (s) return `synthetic:${s[1]}:${n}${s[2]}`;
  throw new UsageError(`hessian: --samples works with mnist, fashion-mnist and synthetic data; for ${spec} cut the .npy files instead`);
}

/** The job's description from the command line; every option is checked here, before anything is loaded. */
export function describeHessian(argv: HessianArgs): HessianDescription {
  const options = resolveHessianOptions({
    solver: argv.solver,
    topK: argv.topK,
    smallest: argv.smallest,
    tol: argv.tol,
    maxIter: argv.maxIter,
    seed: argv.seed,
    trace: argv.trace,
    traceMethod: argv.traceMethod,
    probes: argv.probes,
    density: argv.density,
    runs: argv.runs,
    steps: argv.steps,
    sigma: argv.sigma,
    gridPoints: argv.gridPoints,
    perLayer: argv.perLayer,
  });
  const data = argv.samples !== undefined ? withSamples(argv.data, argv.samples) : argv.data;
  return {
    checkpoint: argv.checkpoint,
    data,
    loss: argv.loss,
    bn: argv.bn,
    l2: validateL2(argv.l2),
    batchSize: validateBatchSize(argv.batchSize),
    seed: argv.seed,
    options,
    notes: !argv.quiet,
    recorded: recordedOptions(argv as unknown as Record<string, unknown>),
  };
}

/** Seconds between the notes of HVPs spent. */
const NOTE_SECONDS = 5;

/** `op`, noting on stderr every few seconds how many HVPs it has spent. */
function withHvpNotes(op: HvpOperator): HvpOperator {
  const t0 = performance.now();
  let last = t0;
  return {
    dimension: op.dimension,
    shapes: op.shapes,
    names: op.names,
    get hvps() {
      return op.hvps;
    },
    apply(v) {
      const out = op.apply(v);
      const now = performance.now();
      if (now - last > NOTE_SECONDS * 1000) {
        last = now;
        process.stderr.write(`hessian: ${op.hvps} HVPs, ${((now - t0) / 1000).toFixed(0)} s\n`);
      }
      return out;
    },
  };
}

/** Loads the checkpoint and data (the engine is already started) and builds the HVP operator. */
export async function openJob(description: HessianDescription, context: JobContext = {}): Promise<ItemJob<HessianItemRecord>> {
  const d = description;
  const a = await openAnalysisFor(d, { workers: context.dataWorkers });
  try {
    const base = hvpOperator(a.objective);
    // --top-k against the number of parameters: known only now.
    const options = resolveHessianOptions(d.options, base.dimension);
    const op = d.notes ? withHvpNotes(base) : base;
    const itemCount = hessianItemPlan(options, op.names).length;
    const { options: _o, notes: _n, checkpoint: _c, data: _d, recorded: _r, ...rest } = d;
    const identity = {
      version: VERSION,
      command: 'hessian',
      checkpointSha256: a.checkpoint.sha256,
      data: { sha256: a.data.sha256, samples: a.data.n },
      loss: a.loss,
      bn: a.bn,
      l2: a.l2,
      options: { ...rest, ...options },
      engine: { backend: a.engine.backend, tfjsVersion: a.engine.tfjsVersion },
    };
    const recorded = d.recorded ?? recordedOptions({ ...analysisSpecOf(d), ...options });
    return {
      header: analysisHeader(a, recorded, d.seed),
      command: 'hessian',
      itemCount,
      itemNoun: 'items',
      identity,
      compute: (i) => hessianItem(op, options, i),
      dispose: () => a.dispose(),
    };
  } catch (e) {
    a.dispose();
    throw e;
  }
}

export function checkRecord(value: unknown, i: number, where: string): HessianItemRecord {
  return checkHessianRecord(value, i, where);
}

export function assemble(description: HessianDescription, records: readonly HessianItemRecord[]): HessianReport {
  return assembleHessianReport(description.options, records);
}

export function recordCost(record: HessianItemRecord): { lossEvaluations: number; gradients: number; hvps: number } {
  return { lossEvaluations: 0, gradients: 0, hvps: record.hvps };
}

export function setupCost(_description: HessianDescription): { lossEvaluations: number; gradients: number; hvps: number } {
  return { lossEvaluations: 0, gradients: 0, hvps: 0 };
}

export function format(result: HessianReport): string {
  return formatHessian(result);
}
