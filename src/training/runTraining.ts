/**
 * A whole training run into a run directory (see runDirectory.ts): builds the training
 * network, resumes from DIR/state when it holds the same run, runs the remaining epochs
 * (evaluating on the eval data, saving the state, the log and any periodic checkpoint
 * after each), then writes the method's solutions:
 *
 *   sgd, sam   DIR/final (the last iterate)
 *   swa        DIR/swa (w_swa with BatchNorm recomputed on the training data), DIR/sgd-last
 *              (the last iterate of the same run) and DIR/final (= DIR/swa)
 *   fge        DIR/snapshot-K at every LR minimum, DIR/final (the last iterate), and the
 *              ensemble's scores (predictions averaged in probability space)
 *
 * Rerunning with the same options and directory resumes after the last completed epoch and
 * ends with the same weights as an uninterrupted run; rerunning a finished run rewrites its
 * solutions identically. The final phase is idempotent for that reason.
 */
import * as path from 'node:path';
import { tfl } from '../engine/tf.ts';
import { ErrorKind, SharpnessError, UsageError } from '../errors.ts';
import type { Dataset } from '../io/dataset.ts';
import { type Sidecar } from '../io/checkpoint.ts';
import { loadCheckpoint } from '../formats/loadCheckpoint.ts';
import { firstDifference } from '../io/canonicalJson.ts';
import { removeLeftoversIn } from '../io/atomicWrite.ts';
import type { Loss } from '../objective/losses.ts';
import type { Backend } from '../engine/backendNames.ts';
import type { LossAndAccuracy } from '../objective/Objective.ts';
import { VERSION } from '../version.ts';
import { EnsembleScore, scoreModel } from './evaluateModel.ts';
import { layersRunModel } from './layersRunModel.ts';
import type { RunModel } from './RunModel.ts';
import type { BatchNormWorkers } from './BatchNormWorkers.ts';
import {
  inspectRunDirectory,
  loadTrainState,
  readTrainLog,
  type LoadedState,
  saveTrainState,
  writeTrainLog,
  STATE_DIR,
  TRAIN_LOG,
} from './runDirectory.ts';
import { Method, batchesPerEpoch, checkAgainstData, hyperparameters, type TrainConfig } from './trainConfig.ts';
import { createStepChunks } from './stepWorkers.ts';
import { Trainer, TrainingStopped, type EpochStats, type IterationInfo, type TrainerState } from './trainLoop.ts';

export const TRAIN_LOG_SCHEMA = 'sharpness/train-log@1';

export interface Scores {
  loss: number;
  accuracy: number | null;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number | null;
  evalLoss: number | null;
  evalAccuracy: number | null;
  /** LR of the epoch's last iteration. */
  lr: number;
  seconds: number;
  /** SWA: the average so far (BatchNorm recomputed) on the eval data. */
  swa?: { count: number; evalLoss: number | null; evalAccuracy: number | null };
  /** FGE: the ensemble of the snapshots so far on the eval data. */
  ensemble?: { members: number; evalLoss: number | null; evalAccuracy: number | null };
}

export interface SolutionResult {
  /** Checkpoint directory (absent for an ensemble). */
  path?: string;
  sha256?: string;
  parameters?: number;
  /** Full pass over the training data, BatchNorm in inference mode (no L2 term). */
  train: Scores;
  eval: Scores | null;
  /** Ensembles: number of members. */
  members?: number;
}

export interface TrainLog {
  schema: string;
  tool: string;
  method: Method;
  hyperparameters: Record<string, unknown>;
  seed: number;
  model: string;
  parent: string | null;
  loss: Loss;
  data: { spec: string; samples: number; sha256: string };
  evalData: { spec: string; samples: number; sha256: string } | null;
  batchesPerEpoch: number;
  /** What a rerun must match to resume: options (but --save-every), data, initial weights. */
  fingerprint: Record<string, unknown>;
  epochs: EpochRecord[];
  /** Per iteration, over the whole run. */
  iterations: { lr: number[]; loss: number[] };
  done: boolean;
  solutions?: Record<string, SolutionResult>;
}

export interface TrainSummary {
  outDir: string;
  method: Method;
  hyperparameters: Record<string, unknown>;
  seed: number;
  epochs: number;
  iterations: number;
  /** Epoch the run resumed after (0 for a fresh run). */
  resumedFrom: number;
  /** Gradients of the whole run (SAM: two per step), the same whether it ran at once, resumed or was rerun. */
  gradients: number;
  /** Seconds this session spent. */
  seconds: number;
  solutions: Record<string, SolutionResult>;
  snapshots: string[];
  log: string;
  lastEpoch: EpochRecord | null;
}

export interface RunEvents {
  onStart?(info: { resumedFrom: number; epochs: number; batchesPerEpoch: number; stateDir: string }): void;
  onIteration?(info: IterationInfo): void;
  onEpoch?(record: EpochRecord, info: { stateDir: string }): void;
  /** A line worth telling the user (warnings, phases). */
  onNote?(line: string): void;
}

export interface RunTrainingArgs {
  /** The model to train, in the topology to save (a final softmax is kept in checkpoints).
   *  Holds the initial weights. A layers model is used as the staging model, so its weights
   *  are overwritten; an ONNX graph comes as onnxRunModel(graph). */
  model: tfl.LayersModel | RunModel;
  /** How the model was given ('mlp', a path, ...), for the log. */
  modelSource: string;
  data: Dataset;
  evalData?: Dataset;
  loss: Loss;
  config: TrainConfig;
  outDir: string;
  /** The checkpoint the initial weights came from (--init), recorded as the parent. */
  parent?: string;
  events?: RunEvents;
  /** Aborts between iterations (the state on disk is that of the last completed epoch). */
  signal?: AbortSignal;
  /**
   * Worker threads (--workers; default 1: this thread). SWA's BatchNorm recomputes run their
   * batches on them (one pool for the run). Results do not depend on it: not in the fingerprint.
   */
  workers?: number;
  /** With --grad-chunk: the worker threads the chunks may run on (--workers; not part of the run's identity: the weights are the same). */
  stepWorkers?: { workers: number; engine: { backend: Backend; threads?: number } };
}

function scores(r: LossAndAccuracy): Scores {
  return { loss: r.loss, accuracy: r.accuracy };
}

function metricsOf(parts: Record<string, number | null | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parts)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/** The first difference between a saved run's fingerprint and this one's, saying which is which; null when equal. */
function savedVsNow(saved: unknown, now: unknown): string | null {
  const d = firstDifference(saved, now);
  return d === null ? null : `${d}, saved vs now`;
}

/**
 * What `outDir` resumes from: its saved state when it holds this run (the same fingerprint),
 * undefined for a new run (an absent or empty directory, or this run interrupted before its
 * first epoch ended). Refuses another run's directory, or anything else.
 */
async function resumableState(outDir: string, fingerprint: Record<string, unknown>, model: RunModel): Promise<LoadedState | undefined> {
  // Temporary copies left by a run killed mid-write (a whole state, a checkpoint, the first
  // log) go first: their names (io/atomicWrite.ts) say they are ours and whose.
  removeLeftoversIn(outDir);
  const kind = await inspectRunDirectory(outDir);
  if (kind === 'foreign') {
    throw new UsageError(`train: --out ${outDir} exists and is not a training run directory; choose a new or empty directory`);
  }
  const resumed = kind === 'run' ? await loadTrainState(outDir, (dir) => model.readFlatWeights(dir)) : undefined;
  if (kind === 'run' && !resumed) {
    // Interrupted before its first epoch ended: the same run starts over, another is refused.
    const previous = await readTrainLog(outDir);
    const diff = previous ? savedVsNow(previous['fingerprint'], fingerprint) : 'no train-log.json';
    if (diff) {
      throw new UsageError(`train: --out ${outDir} holds another training run without a saved state (${diff}); choose another directory or remove it`);
    }
  }
  if (resumed) {
    const diff = savedVsNow(resumed.fingerprint, fingerprint);
    if (diff) {
      throw new UsageError(`train: --out ${outDir} holds a run with different settings (${diff}); use the same options to resume it, or another --out`);
    }
  }
  return resumed;
}

/** The saved FGE snapshots of a resumed run, in order, each added to the eval ensemble (when there is one). */
async function savedSnapshots(outDir: string, count: number, ensemble: EnsembleScore | null): Promise<string[]> {
  const paths: string[] = [];
  for (let k = 1; k <= count; k++) {
    const dir = path.join(outDir, `snapshot-${k}`);
    paths.push(dir);
    if (ensemble) await addCheckpoint(ensemble, dir);
  }
  return paths;
}

/** Adds the checkpoint in `dir` to an ensemble's scores. */
async function addCheckpoint(ensemble: EnsembleScore, dir: string): Promise<void> {
  const c = await loadCheckpoint(dir);
  try {
    await ensemble.add(c.network);
  } finally {
    c.dispose();
  }
}

function interrupted(stateDir: string, epoch: number): SharpnessError {
  return new SharpnessError(
    ErrorKind.interrupted,
    epoch > 0
      ? `train: stopped; the state after epoch ${epoch} is in ${stateDir}; rerun the same command to resume`
      : 'train: stopped before the first epoch ended; rerunning the same command starts over',
  );
}

export async function runTraining(args: RunTrainingArgs): Promise<TrainSummary> {
  const { data, evalData, loss, config, outDir, events = {} } = args;
  const model: RunModel = args.model instanceof tfl.LayersModel ? layersRunModel(args.model) : args.model;
  const started = performance.now();
  checkAgainstData(config, data.n);
  const hp = hyperparameters(config);
  const nb = batchesPerEpoch(config, data.n);
  const dataRef = { spec: data.spec, samples: data.n, sha256: data.sha256 };
  const evalRef = evalData ? { spec: evalData.spec, samples: evalData.n, sha256: evalData.sha256 } : null;
  const initialSha = model.initialSha();
  // --save-every may change between reruns; everything else must match to resume.
  const fpHyper = { ...hp };
  delete fpHyper['saveEvery'];
  const fingerprint = { hyperparameters: fpHyper, model: args.modelSource, initialWeights: initialSha, loss, data: data.sha256, evalData: evalData?.sha256 ?? null };
  const parent = args.parent ?? null;
  const createdBy = `sharpness ${VERSION}`;

  const resumed = await resumableState(outDir, fingerprint, model);
  let stateDir = resumed?.dir ?? path.join(outDir, STATE_DIR);
  for (const line of model.warnings()) events.onNote?.(line);

  const log: TrainLog = resumed
    ? (resumed.log as TrainLog)
    : {
        schema: TRAIN_LOG_SCHEMA,
        tool: createdBy,
        method: config.method,
        hyperparameters: hp,
        seed: config.seed,
        model: args.modelSource,
        parent,
        loss,
        data: dataRef,
        evalData: evalRef,
        batchesPerEpoch: nb,
        fingerprint,
        epochs: [],
        iterations: { lr: [], loss: [] },
        done: false,
      };
  const net = await model.trainingNet(loss);
  const trainerState: TrainerState | undefined = resumed?.state;
  const sw = args.stepWorkers;
  const chunks =
    config.gradChunk !== null && sw
      ? createStepChunks(net, data, loss, { ...sw, source: model.netSource(), batchSize: config.batchSize, gradChunk: config.gradChunk })
      : undefined;
  const trainer = new Trainer({ net, data, loss, config, ...(trainerState ? { state: trainerState } : {}), ...(chunks ? { chunks } : {}) });
  const resumedFrom = trainer.epoch;
  const baseSidecar = (extra: Sidecar): Sidecar => ({
    method: config.method,
    hyperparameters: hp,
    seed: config.seed,
    ...(parent ? { parent } : {}),
    run: outDir,
    createdBy,
    ...extra,
  });
  /** Puts the network's weights (or given flat weights) into the staging model. */
  const stage = (flat?: ArrayLike<number>): void => model.stage(flat);
  const saveRunCheckpoint = (name: string, sidecar: Sidecar) => model.save(path.join(outDir, name), sidecar);
  // The BatchNorm recomputes of the staged weights: on one pool of workers for the whole run.
  const bnPool: { workers: BatchNormWorkers | null } = { workers: null };
  const recomputeBatchNorm = (): Promise<number> => {
    const workers = args.workers ?? 1;
    if (workers > 1) bnPool.workers ??= model.batchNormWorkers(data, workers);
    return model.recomputeBatchNorm(data, config.batchSize, bnPool.workers);
  };

  // FGE: the ensemble so far on the eval data (rebuilt from the saved snapshots on resume).
  const ensemble = config.method === Method.fge && evalData ? new EnsembleScore(evalData, loss) : null;
  const snapshotPaths = await savedSnapshots(outDir, trainer.snapshots, ensemble);

  events.onStart?.({ resumedFrom, epochs: config.epochs, batchesPerEpoch: nb, stateDir });
  try {
    // Marks the directory as this run's before anything else is written into it.
    if (!resumed) await writeTrainLog(outDir, log);
    while (!trainer.done) {
      if (args.signal?.aborted) throw interrupted(stateDir, trainer.epoch);
      const stats: EpochStats = await trainer.runEpoch({
        onIteration: (i) => events.onIteration?.(i),
        shouldStop: () => args.signal?.aborted === true,
        onSnapshot: async (s) => {
          stage();
          const dir = path.join(outDir, `snapshot-${s.index}`);
          await saveRunCheckpoint(`snapshot-${s.index}`, baseSidecar({ epoch: s.epoch, iteration: s.iteration, lr: s.lr, snapshot: s.index }));
          snapshotPaths[s.index - 1] = dir;
          await ensemble?.add(model.network());
        },
      }).catch((e: unknown) => {
        if (e instanceof TrainingStopped) throw interrupted(stateDir, trainer.epoch);
        throw e;
      });
      stage();
      const ev = evalData ? scores(await scoreModel(model.network(), evalData, loss)) : null;
      const record: EpochRecord = {
        epoch: stats.epoch,
        trainLoss: stats.trainLoss,
        trainAccuracy: stats.trainAccuracy,
        evalLoss: ev?.loss ?? null,
        evalAccuracy: ev?.accuracy ?? null,
        lr: stats.lr,
        seconds: stats.seconds,
      };
      const swaFlat = trainer.swaWeights();
      if (config.method === Method.swa && swaFlat) {
        let swaEval: Scores | null = null;
        if (evalData) {
          stage(swaFlat);
          await recomputeBatchNorm();
          swaEval = scores(await scoreModel(model.network(), evalData, loss));
          stage();
        }
        record.swa = { count: trainer.swaCount, evalLoss: swaEval?.loss ?? null, evalAccuracy: swaEval?.accuracy ?? null };
      }
      if (ensemble && ensemble.members > 0) {
        const s = ensemble.score()!;
        record.ensemble = { members: ensemble.members, evalLoss: s.loss, evalAccuracy: s.accuracy };
      }
      log.epochs.push(record);
      log.iterations.lr.push(...stats.iterations.lr);
      log.iterations.loss.push(...stats.iterations.loss);
      if (config.saveEvery > 0 && stats.epoch % config.saveEvery === 0) {
        await saveRunCheckpoint(
          `epoch-${stats.epoch}`,
          baseSidecar({
            epoch: stats.epoch,
            metrics: metricsOf({ trainLoss: record.trainLoss, trainAccuracy: record.trainAccuracy, evalLoss: record.evalLoss, evalAccuracy: record.evalAccuracy }),
          }),
        );
      }
      // The state last: once it is written, everything before it is.
      await writeTrainLog(outDir, log);
      stateDir = await saveTrainState(outDir, await model.files(), trainer.state(), {
        fingerprint,
        log,
        sidecar: baseSidecar({ epoch: stats.epoch, state: true }),
      });
      events.onEpoch?.(record, { stateDir });
    }

    // The solutions (idempotent: a rerun of a finished run rewrites them identically).
    events.onNote?.('train: writing the solutions');
    const solutions: Record<string, SolutionResult> = {};
    const lastEpoch = log.epochs[log.epochs.length - 1] ?? null;
    const saveSolution = async (name: string, extra: Sidecar): Promise<SolutionResult> => {
      const tr = scores(await scoreModel(model.network(), data, loss));
      const ev = evalData ? scores(await scoreModel(model.network(), evalData, loss)) : null;
      const saved = await saveRunCheckpoint(
        name,
        baseSidecar({
          epoch: config.epochs,
          metrics: metricsOf({ trainLoss: tr.loss, trainAccuracy: tr.accuracy, evalLoss: ev?.loss, evalAccuracy: ev?.accuracy }),
          ...extra,
        }),
      );
      return { path: saved.dir, sha256: saved.sha256, parameters: saved.paramCount, train: tr, eval: ev };
    };
    stage();
    if (config.method === Method.swa) {
      solutions['sgdLast'] = await saveSolution('sgd-last', { solution: 'sgd-last' });
      const swaFlat = trainer.swaWeights();
      if (!swaFlat) throw new UsageError('train: SWA averaged no iterate; check --swa-start and --cycle');
      stage(swaFlat);
      const bn = await recomputeBatchNorm();
      const extra = { solution: 'swa', swaCount: trainer.swaCount, batchNormRecomputed: bn > 0 };
      solutions['swa'] = await saveSolution('swa', extra);
      solutions['final'] = await saveSolution('final', extra);
    } else {
      solutions['final'] = await saveSolution('final', { solution: 'last' });
    }
    if (config.method === Method.fge) {
      const trainEnsemble = new EnsembleScore(data, loss);
      for (const dir of snapshotPaths) await addCheckpoint(trainEnsemble, dir);
      const ev = ensemble?.score() ?? null;
      solutions['ensemble'] = { train: trainEnsemble.score()!, eval: ev ? scores(ev) : null, members: trainEnsemble.members };
    }
    log.done = true;
    log.solutions = solutions;
    await writeTrainLog(outDir, log);
    return {
      outDir,
      method: config.method,
      hyperparameters: hp,
      seed: config.seed,
      epochs: config.epochs,
      iterations: trainer.iteration,
      resumedFrom,
      // Counted from the run, not the session: a resumed or rerun run costs what an
      // uninterrupted one does (SAM: two gradients per step).
      gradients: trainer.iteration * (config.method === Method.sam ? 2 : 1),
      seconds: (performance.now() - started) / 1000,
      solutions,
      snapshots: snapshotPaths,
      log: path.join(outDir, TRAIN_LOG),
      lastEpoch,
    };
  } finally {
    bnPool.workers?.close();
    trainer.dispose();
    model.dispose();
  }
}
