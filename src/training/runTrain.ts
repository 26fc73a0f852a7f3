/**
 * One training run as `sharpness train` makes it, callable from any command (train, demo):
 * checks the options, guards and locks the run directory, loads the data and the model
 * (built-in, a model.json, or --init's checkpoint), runs runTraining with progress notes, and
 * writes DIR/result.json. The caller starts the engine (startEngine), prints the result and
 * says what to do on Ctrl-C (onInterrupt): those belong to the command line.
 */
import path from 'node:path';
import { InputError, UsageError } from '../errors.ts';
import type { EngineInfo } from '../engine/backend.ts';
import type { Network } from '../formats/Network.ts';
import type { OnnxCheckpoint } from '../formats/Checkpoint.ts';
import type { OnnxModel } from '../formats/onnx/OnnxModel.ts';
import type { ResultDocument } from '../results/resultDocument.ts';
import { BUILTIN_MODELS, isBuiltinModel } from '../models/builtinModels.ts';
import type { RunModel } from './RunModel.ts';
import type { TrainSummary } from './runTraining.ts';
import { resolveTrainConfig, TRAIN_OPTION_KEYS, type TrainOptions } from './trainConfig.ts';

/** What a run is made from: `train`'s options (camelCase; only those given) and where it goes. */
export interface TrainRun {
  /** --model: a built-in architecture or a model.json. */
  model?: string | undefined;
  /** --init: a checkpoint to start from. */
  init?: string | undefined;
  data: string;
  evalData?: string | undefined;
  /** --loss as given ('auto' or a loss name). */
  loss: string;
  /** The training options given (see TRAIN_OPTION_KEYS); others are ignored. */
  options: Readonly<Record<string, unknown>>;
  /** --seed: the initialisation, the shuffles and the data subsets. */
  seed: number;
  /** --out: the run directory (required; checked with the options). */
  outDir: string | undefined;
  /** The options result.json records (the command line's). */
  recorded: Record<string, unknown>;
  /** --workers as typed (checked here; absent: SHARPNESS_WORKERS, else the cores; 1 on tensorflow): threads for --grad-chunk's chunks and SWA's BatchNorm recomputes. An execution option: never in the fingerprint or the recorded options. */
  workers?: unknown;
}

export interface TrainRunHooks {
  /** Starts the engine (called once the options are checked and the directory is guarded). */
  startEngine(): Promise<EngineInfo>;
  /** A progress line for stderr. */
  note(line: string): void;
  /** Registers what Ctrl-C says while the run is in progress; returns the unregistration. */
  onInterrupt(describe: () => string): () => void;
}

export interface TrainRunResult {
  doc: ResultDocument;
  summary: TrainSummary;
  seconds: number;
  outDir: string;
}

/** The training options among `given` (only those given; resolveTrainConfig fills in the defaults). */
export function trainOptionsOf(given: Readonly<Record<string, unknown>>, seed: number): TrainOptions {
  const o: Record<string, unknown> = {};
  for (const k of TRAIN_OPTION_KEYS) if (k !== 'seed' && given[k] !== undefined) o[k] = given[k];
  o['seed'] = seed;
  return o as TrainOptions;
}

export async function runTrain(run: TrainRun, hooks: TrainRunHooks): Promise<TrainRunResult> {
  const startedAt = performance.now();
  const config = resolveTrainConfig(trainOptionsOf(run.options, run.seed));
  const { parseWorkers, resolveWorkers } = await import('../parallel/WorkerPool.ts');
  if (run.workers !== undefined) parseWorkers(run.workers);
  if (!run.outDir) throw new UsageError('train: --out DIR is required (the run directory: checkpoints, log and resumable state)');
  if (!run.model && !run.init) throw new UsageError(`train: give --model (${BUILTIN_MODELS.join(', ')} or a model.json) or --init CKPT`);
  const outDir = run.outDir;
  const { guardOutput } = await import('../io/inputPaths.ts');
  guardOutput('train', { kind: 'dir', path: outDir, creates: '*' }, {
    checkpoints: [run.init],
    files: [run.model !== undefined && !isBuiltinModel(run.model) ? run.model : undefined],
    data: [run.data, run.evalData],
  });
  // One run per --out: a second one says the run is in use instead of racing it on the
  // same state directory (io/outputLock.ts); released on exit, Ctrl-C and SIGTERM too.
  const unlock = (await import('../io/outputLock.ts')).lockOutput('train', outDir);
  const engine = await hooks.startEngine();
  const workers = resolveWorkers(run.workers, engine);
  const { usesWorkerThreads, workerEngine } = await import('../parallel/workerBackend.ts');
  // Worker threads run their own engine of the same kind (wasm, cpu); the tensorflow and
  // webgpu backends compute the chunks in this thread (the same numbers either way).
  const stepWorkers = usesWorkerThreads(engine) ? { workers, engine: workerEngine(engine) } : undefined;
  const { loadDataset } = await import('../io/dataset.ts');
  const { loadCheckpoint } = await import('../formats/loadCheckpoint.ts');
  const { CheckpointFormat } = await import('../formats/Network.ts');
  const { layersNetwork } = await import('../formats/layers/layersNetwork.ts');
  const { buildBuiltinModel } = await import('../models/builtinModels.ts');
  const { modelFromTopologyFile } = await import('../models/topologyFile.ts');
  const { firstArchitectureDifference, weightInfo } = await import('./modelWeights.ts');
  const { runTraining } = await import('./runTraining.ts');
  const { progressLine, epochLine, throttle } = await import('./progress.ts');
  const { makeResultDocument, engineRef, writeResultDocument } = await import('../results/resultDocument.ts');
  const { dataRef } = await import('../analysis/openAnalysis.ts');

  const data = await loadDataset(run.data, { seed: run.seed });
  const evalData = run.evalData ? await loadDataset(run.evalData, { seed: run.seed }) : undefined;

  let model = null;
  let modelSource = run.model ?? `init:${run.init}`;
  if (run.model && isBuiltinModel(run.model)) {
    const t = data.targets;
    model =
      t.kind === 'classes'
        ? buildBuiltinModel(run.model, data.sampleShape, Math.max(t.numClasses, 2), config.seed)
        : buildBuiltinModel(run.model, data.sampleShape, t.dim, config.seed, { outputActivation: 'linear' });
  } else if (run.model) {
    model = await modelFromTopologyFile(run.model, config.seed);
    modelSource = path.resolve(run.model);
  }
  let parent: string | undefined;
  let runModel: RunModel | null = null;
  let network: Network | null = null;
  let release = (): void => {};
  if (run.init) {
    const ckpt = await loadCheckpoint(run.init);
    parent = ckpt.dir;
    if (ckpt.format === CheckpointFormat.onnx) {
      // An ONNX graph trains as itself: its checkpoints are the graph with updated initializers.
      if (model) {
        ckpt.dispose();
        throw new UsageError(`train: --init ${run.init} is an ONNX graph, which trains with its own architecture; drop --model`);
      }
      const { onnxRunModel } = await import('./onnxRunModel.ts');
      runModel = onnxRunModel((ckpt as OnnxCheckpoint<OnnxModel>).onnx);
      network = ckpt.network;
      release = () => ckpt.dispose();
    } else if (model) {
      const d = firstArchitectureDifference(weightInfo(model), weightInfo(ckpt.model), `--model ${run.model}`, `--init ${run.init}`);
      if (d) throw new InputError(`train: --init does not fit --model: ${d}`);
      model.setWeights(ckpt.model.getWeights());
      ckpt.model.dispose();
    } else {
      model = ckpt.model;
    }
    modelSource = `${modelSource}+init:${ckpt.sha256}`;
  }
  if (!runModel) {
    const { layersRunModel } = await import('./layersRunModel.ts');
    const layers = model!;
    runModel = layersRunModel(layers);
    network = layersNetwork(layers);
    release = () => layers.dispose();
  }
  // The data was loaded before the model (a built-in model is sized from it): checked here.
  const { openData } = await import('../analysis/openAnalysis.ts');
  const { loss } = await openData(network!, { data: data.spec, loss: run.loss, seed: run.seed }, { given: data });
  if (evalData) await openData(network!, { data: evalData.spec, loss, seed: run.seed }, { given: evalData });

  let epochsDone = 0;
  let stateDir = path.join(outDir, 'state');
  const undo = hooks.onInterrupt(() =>
    epochsDone > 0
      ? `training state after epoch ${epochsDone} of ${config.epochs}: ${stateDir}; rerun the same command to resume`
      : `no epoch completed; rerunning the same command starts over in ${outDir}`,
  );
  let sessionStart = performance.now();
  let firstIteration = 0;
  const totalIterations = (epochs: number, nb: number) => epochs * nb;
  let nb = 1;
  const progress = throttle(2000, (line: string) => hooks.note(line));
  let summary: TrainSummary;
  try {
    summary = await runTraining({
      model: runModel,
      modelSource,
      data,
      ...(evalData ? { evalData } : {}),
      loss,
      config,
      outDir,
      ...(parent ? { parent } : {}),
      workers: (await import('./BatchNormWorkers.ts')).batchNormWorkerCount(run.workers, workers, data.n),
      ...(stepWorkers ? { stepWorkers } : {}),
      events: {
        onStart: (s) => {
          nb = s.batchesPerEpoch;
          epochsDone = s.resumedFrom;
          stateDir = s.stateDir;
          firstIteration = s.resumedFrom * nb;
          sessionStart = performance.now();
          hooks.note(
            s.resumedFrom >= s.epochs
              ? `train: ${outDir} holds a finished run; rewriting its solutions`
              : s.resumedFrom > 0
              ? `train: resuming ${outDir} after epoch ${s.resumedFrom} of ${s.epochs}`
              : `train: ${config.method} on ${data.spec} (${data.n} samples, ${nb} batches per epoch), ${s.epochs} epochs into ${outDir}`,
          );
        },
        onIteration: (i) => {
          const elapsed = (performance.now() - sessionStart) / 1000;
          const done = i.iteration - firstIteration;
          progress(progressLine(i, config.epochs, elapsed, done, totalIterations(config.epochs, nb) - i.iteration));
        },
        onEpoch: (r, info) => {
          epochsDone = r.epoch;
          stateDir = info.stateDir;
          const elapsed = (performance.now() - sessionStart) / 1000;
          const done = r.epoch * nb - firstIteration;
          const left = totalIterations(config.epochs, nb) - r.epoch * nb;
          hooks.note(epochLine(r, config.epochs, left > 0 ? (elapsed / done) * left : null));
        },
        onNote: (line) => hooks.note(line),
      },
    });
  } finally {
    undo();
  }
  const trainableParameters = runModel.trainableParamCount;
  runModel.dispose();
  const seconds = (performance.now() - startedAt) / 1000;
  const final = summary.solutions['final']!;
  const doc = makeResultDocument({
    command: 'train',
    options: run.recorded,
    seed: config.seed,
    checkpoint: { path: final.path!, sha256: final.sha256!, parameters: final.parameters!, trainableParameters },
    data: dataRef(data),
    ...(evalData ? { evalData: dataRef(evalData) } : {}),
    loss,
    l2: config.l2,
    engine: engineRef(engine),
    result: summary,
    cost: { seconds, lossEvaluations: 0, gradients: summary.gradients, hvps: 0 },
  });
  await writeResultDocument(path.join(outDir, 'result.json'), doc);
  unlock();
  release();
  return { doc, summary, seconds, outDir };
}
