/**
 * `ball` as an item job (see parallel/ItemJob.ts and sharpness/ballItems.ts): per radius,
 * the SAM start, the random restarts and batches of random samples, each an item, so that
 * `sharpness ball` runs in shards, on worker threads, and resumes after an interruption,
 * always writing the document of a single uninterrupted run.
 */
import type { BallNorm } from '../../sharpness/perturbationSet.ts';
import type { BallResult } from '../../sharpness/ballSharpness.ts';
import {
  assembleBall,
  ballItem,
  ballPlan,
  checkBallRecord,
  createBallContext,
  SAMPLES_PER_ITEM,
  type BallContext,
  type BallRecord,
} from '../../sharpness/ballItems.ts';
import { formatBallResult } from '../../sharpness/formatSharpness.ts';
import { parseRadii, validateBallOptions, type ValidatedBallOptions } from '../../sharpness/validateBallOptions.ts';
import { InputError } from '../../errors.ts';
import type { ItemJob, JobContext } from '../../parallel/ItemJob.ts';
import { VERSION } from '../../version.ts';
import { analysisHeader, analysisSpecOf, openAnalysisFor, recordedOptions, type AnalysisSpec } from '../../analysis/openAnalysis.ts';

/** Everything a ball job depends on, as JSON: a worker thread opens the same job from it. */
export interface BallDescription extends AnalysisSpec, ValidatedBallOptions {
  /** The options recorded in the result document: as typed, without those that only say where and how the run goes. */
  recorded: Record<string, unknown>;
}

/** The CLI arguments `describeBall` reads. */
export interface BallArgs extends AnalysisSpec {
  radius: string | number | readonly (string | number)[];
  norm: BallNorm;
  adaptive: boolean;
  steps: number;
  restarts: number;
  samples: number;
  [k: string]: unknown;
}

/** The job's description from the command line; validates the ball options before anything is loaded. */
export function describeBall(argv: BallArgs): BallDescription {
  const o = validateBallOptions({
    norm: argv.norm,
    radii: parseRadii(argv.radius),
    adaptive: argv.adaptive,
    steps: argv.steps,
    restarts: argv.restarts,
    samples: argv.samples,
    seed: argv.seed,
  });
  return { ...analysisSpecOf(argv), ...o, recorded: recordedOptions(argv) };
}

/** The ball options of a description (possibly read back from a shard), validated. */
export function ballOptionsOf(d: BallDescription): ValidatedBallOptions {
  if (typeof d !== 'object' || d === null) throw new InputError(`ball: the job description must be an object, got ${String(d)}`);
  return validateBallOptions({
    norm: d.norm,
    radii: d.radii,
    adaptive: d.adaptive,
    eta: d.eta,
    steps: d.steps,
    restarts: d.restarts,
    samples: d.samples,
    seed: d.seed,
  });
}

/**
 * Loads the checkpoint and data and builds the objective (the engine is already started).
 * The loss and gradient at w (the context every item shares) are evaluated on the first
 * item, once per process: a process that only assembles never pays for them.
 */
export async function openJob(description: BallDescription, jobContext: JobContext = {}): Promise<ItemJob<BallRecord>> {
  const options = ballOptionsOf(description);
  const plan = ballPlan(options);
  const a = await openAnalysisFor(description, { workers: jobContext.dataWorkers });
  let context: BallContext | null = null;
  const { checkpoint: _c, data: _d, loss: _l, bn: _b, l2: _l2, recorded: _r, ...ballOptions } = description;
  return {
    header: analysisHeader(a, description.recorded, description.seed),
    command: 'ball',
    itemCount: plan.itemCount,
    itemNoun: 'starts and sample batches',
    identity: {
      version: VERSION,
      command: 'ball',
      checkpointSha256: a.checkpoint.sha256,
      data: { sha256: a.data.sha256, samples: a.data.n },
      loss: a.loss,
      bn: a.bn,
      l2: a.l2,
      options: { ...ballOptions, samplesPerItem: SAMPLES_PER_ITEM },
      engine: { backend: a.engine.backend, tfjsVersion: a.engine.tfjsVersion },
    },
    compute(i) {
      context ??= createBallContext(a.objective, options);
      return ballItem(a.objective, context, options, i);
    },
    dispose() {
      context?.dispose();
      context = null;
      a.dispose();
    },
  };
}

export function checkRecord(value: unknown, i: number, where: string): BallRecord {
  return checkBallRecord(value, i, where);
}

/** Pure: the BallResult from every record, in index order (the loss at w is in each record). */
export function assemble(description: BallDescription, records: readonly BallRecord[]): BallResult {
  return assembleBall(ballOptionsOf(description), records[0]?.baseLoss ?? NaN, records);
}

export function recordCost(record: BallRecord): { lossEvaluations: number; gradients: number; hvps: number } {
  if (record.kind === 'samples') return { lossEvaluations: record.losses.length, gradients: 0, hvps: 0 };
  return { lossEvaluations: record.lossEvaluations, gradients: record.gradients, hvps: 0 };
}

/** The gradient (and loss) at w, once per result. */
export function setupCost(_description: BallDescription): { lossEvaluations: number; gradients: number; hvps: number } {
  return { lossEvaluations: 0, gradients: 1, hvps: 0 };
}

export function format(result: BallResult): string {
  return formatBallResult(result);
}
