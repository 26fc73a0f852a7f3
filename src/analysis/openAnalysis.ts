import type { BatchSize } from '../objective/objectiveDefaults.ts';
import { loadCheckpoint } from '../formats/loadCheckpoint.ts';
import { validateDataForModel } from '../io/validateData.ts';
import { type Checkpoint } from '../formats/Checkpoint.ts';
import type { Network } from '../formats/Network.ts';
import type { Dataset } from '../io/dataset.ts';
import type { CheckpointRef, DataRef, DocumentHeader, ResultCost, ResultDocument } from '../results/resultDocument.ts';
import { engineRef, makeResultDocument } from '../results/resultDocument.ts';
import { createModelObjective } from '../objective/modelObjective.ts';
import { createDataParallelObjective } from '../parallel/DataParallelObjective.ts';
import { shareDataset } from '../parallel/sharedDataset.ts';
import { loadDatasetOnce, type HeldDataset } from '../parallel/poolDatasets.ts';
import { usesWorkerThreads, workerEngine } from '../parallel/workerBackend.ts';
import { resolveLoss } from '../objective/resolveLoss.ts';
import { checkLossFit } from './checkLossFit.ts';
import type { Loss } from '../objective/losses.ts';
import type { BnMode, Objective } from '../objective/Objective.ts';
import type { EngineInfo } from '../engine/backend.ts';

/** A checkpoint, its data and the objective built from them: what a measuring command works on. */
export interface Analysis {
  engine: EngineInfo;
  checkpoint: Checkpoint;
  data: Dataset;
  loss: Loss;
  bn: BnMode;
  l2: number;
  objective: Objective;
  startedAt: number;
  dispose(): void;
}

export function checkpointRef(c: Checkpoint): CheckpointRef {
  return { path: c.dir, sha256: c.sha256, parameters: c.paramCount, trainableParameters: c.trainableParamCount };
}

export function dataRef(d: Dataset): DataRef {
  return { spec: d.spec, samples: d.n, sha256: d.sha256 };
}

/**
 * Options that say how a run is carried out, not what it computes: not recorded, so a
 * result is the same whether written to another file, in shards or on worker threads.
 */
const EXECUTION_OPTIONS: ReadonlySet<string> = new Set(['out', 'json', 'quiet', 'debug', 'silent', 'shard', 'workers', 'saveInterval']);

/** The command's options as recorded in its result: camelCase keys, no yargs bookkeeping, no execution options. */
export function recordedOptions(argv: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(argv).sort(([a], [b]) => a.localeCompare(b))) {
    if (k === '_' || k === '$0' || k.includes('-') || v === undefined || EXECUTION_OPTIONS.has(k)) continue;
    out[k] = v;
  }
  return out;
}


/** What an analysis is opened from: serialisable, so a worker thread can open the same one. */
export interface AnalysisSpec {
  checkpoint: string;
  data: string;
  loss: string;
  bn: BnMode;
  l2: number;
  batchSize: BatchSize;
  /** Seeds the shuffles of data specs that draw a subset. */
  seed: number;
  /** --params: the parameter blocks measured (names or globs); all when absent. */
  params?: string | undefined;
}

/** The AnalysisSpec fields of a larger object (a command line, a job description). */
export function analysisSpecOf(x: AnalysisSpec): AnalysisSpec {
  const spec: AnalysisSpec = { checkpoint: x.checkpoint, data: x.data, loss: x.loss, bn: x.bn, l2: x.l2, batchSize: x.batchSize, seed: x.seed };
  // absent rather than undefined, so descriptions and identities without it stay as they were
  if (x.params !== undefined) spec.params = x.params;
  return spec;
}

/** What the opener may be handed instead of reading it again. */
export interface OpenAnalysisOptions {
  /** The engine already started (default: the current one). */
  engine?: EngineInfo;
  /** A dataset already loaded for spec.data (evaluate opens many checkpoints on one dataset). */
  data?: Dataset;
  /** Where relative data paths are resolved (recipes and known minima name files beside them). */
  cwd?: string;
  /**
   * More than 1 (wasm and cpu): the objective evaluates its data chunks on this many worker
   * threads, started on its first evaluation, the data in shared memory
   * (parallel/DataParallelObjective.ts); the values are the same bit for bit.
   */
  workers?: number | undefined;
}

/** Data opened for a network: checked against it, with the loss resolved for it. */
export interface OpenedData {
  data: Dataset;
  loss: Loss;
  /** Call when done: withdraws a dataset offered to pool workers. */
  release(): void;
  /** A pool worker got the main thread's shared copy (parallel/poolDatasets.ts). */
  handed: boolean;
}

/**
 * Loads a data spec (or takes `given`, already loaded: `spec.data` then only names it), checks it against the network, resolves the loss
 * (`loss`: a --loss choice, 'auto', or one already resolved) and checks that it fits the
 * network's output: the data half of every opener (openAnalysisFor, the landscape job).
 * With worker threads (`workers` > 1 on wasm or cpu) the data is loaded once into shared
 * memory and offered to the item pool's workers, whose opener takes it instead of loading a
 * copy each.
 */
export async function openData(
  network: Network,
  spec: { data: string; loss: string; seed: number },
  opts: { engine?: EngineInfo; workers?: number | undefined; cwd?: string | undefined; given?: Dataset | undefined },
): Promise<OpenedData> {
  const share = (opts.workers ?? 1) > 1 && opts.engine !== undefined && usesWorkerThreads(opts.engine);
  const held: HeldDataset = opts.given ? { data: opts.given, release: () => undefined } : await loadDatasetOnce({ spec: spec.data, seed: spec.seed, cwd: opts.cwd }, share);
  try {
    validateDataForModel(held.data, network);
    const loss = resolveLoss(spec.loss, held.data, network);
    checkLossFit(spec.loss, loss, held.data, network.outputActivation);
    return { data: held.data, loss, release: held.release, handed: held.handed === true };
  } catch (e) {
    held.release();
    throw e;
  }
}

/**
 * The one opener of an analysis, for every command, worker thread, recipe and selftest:
 * loads the checkpoint (any format) and the data, checks one against the other, resolves
 * the loss and builds the objective, on an engine that is already started. Prints nothing.
 */
export async function openAnalysisFor(spec: AnalysisSpec, opts: OpenAnalysisOptions = {}): Promise<Analysis> {
  const startedAt = performance.now();
  const engine = opts.engine ?? (await import('../engine/backend.ts')).currentEngineInfo();
  const checkpoint = await loadCheckpoint(spec.checkpoint);
  let release = () => undefined as void;
  try {
    const workers = opts.workers ?? 1;
    const opened = await openData(checkpoint.network, { data: spec.data, loss: spec.loss, seed: spec.seed }, { engine, workers, cwd: opts.cwd, given: opts.data });
    release = opened.release;
    const { data: loaded, loss, handed } = opened;
    // A pool worker reading the main thread's shared data uploads each chunk when it is used
    // rather than keeping all of it on its engine: a chunk's upload is a copy, negligible
    // next to its forward pass, and N workers then hold one copy of the data, not N.
    const objectiveOptions = { loss, bn: spec.bn, l2: spec.l2, batchSize: spec.batchSize, params: spec.params, ...(handed ? { cacheBytes: 0 } : {}) };
    const parallel = workers > 1 && usesWorkerThreads(engine);
    // One copy of the data, in shared memory, for this thread and every worker.
    const data = parallel ? shareDataset(loaded) : loaded;
    const objective = parallel
      ? await createDataParallelObjective(checkpoint.network, data, {
          ...objectiveOptions,
          workers,
          checkpoint: spec.checkpoint,
          engine: workerEngine(engine),
        })
      : await createModelObjective(checkpoint.network, data, objectiveOptions);
    return {
      engine,
      checkpoint,
      data,
      loss,
      bn: spec.bn,
      l2: spec.l2,
      objective,
      startedAt,
      dispose() {
        objective.dispose();
        checkpoint.dispose();
        release();
      },
    };
  } catch (e) {
    checkpoint.dispose();
    release();
    throw e;
  }
}

/** The header of a measure's document on one checkpoint; `options` are recorded as given. */
export function analysisHeader(a: Analysis, options: Record<string, unknown>, seed: number): DocumentHeader {
  return {
    options,
    seed,
    checkpoint: checkpointRef(a.checkpoint),
    data: dataRef(a.data),
    loss: a.loss,
    bn: a.bn,
    l2: a.l2,
    engine: engineRef(a.engine),
  };
}

/** The result document of a measure on one checkpoint. */
export function analysisDocument<R>(
  a: Analysis,
  command: string,
  argv: Record<string, unknown> & { seed: number },
  result: R,
  extraCost: Partial<ResultCost> = {},
): ResultDocument<R> {
  return makeResultDocument({
    command,
    ...analysisHeader(a, recordedOptions(argv), argv.seed),
    result,
    cost: {
      seconds: (performance.now() - a.startedAt) / 1000,
      lossEvaluations: a.objective.cost.lossEvaluations,
      gradients: a.objective.cost.gradients,
      hvps: a.objective.cost.hvps,
      ...extraCost,
    },
  });
}
