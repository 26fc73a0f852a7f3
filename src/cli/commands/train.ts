/**
 * `sharpness train --model mlp|cnn|resnet|PATH --data D [--eval-data E] --method sgd|sam|swa|fge ... --out DIR`:
 * trains a solution into a run directory (see src/training/runTraining.ts for its layout);
 * rerunning the same command resumes after the last completed epoch.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { note, printResult, startEngine } from '../output.ts';
import { onInterrupt } from '../interrupt.ts';
import { UsageError } from '../../errors.ts';
import { LOSS_CHOICES } from '../../objective/resolveLoss.ts';
import { METHODS, TRAIN_DEFAULTS, resolveTrainConfig, type TrainOptions } from '../../training/trainConfig.ts';
import { SCHEDULES } from '../../training/schedules.ts';
import { FORMULA_VARIABLES } from '../../training/lrFormula.ts';
import { BUILTIN_MODELS } from '../../models/builtinModels.ts';
import type { RunModel } from '../../training/RunModel.ts';
import type { Network } from '../../formats/Network.ts';
import type { OnnxCheckpoint } from '../../formats/Checkpoint.ts';
import type { OnnxModel } from '../../formats/onnx/OnnxModel.ts';

export const command = 'train';
export const describe = 'train a solution with SGD, SAM, SWA or FGE (resumable; rerun the same command to resume)';

interface TrainCliOptions {
  model?: string;
  init?: string;
  data: string;
  evalData?: string;
  loss: string;
  method?: string;
  epochs?: unknown;
  batchSize?: unknown;
  lr?: unknown;
  momentum?: unknown;
  l2?: unknown;
  schedule?: string;
  lrFinal?: unknown;
  lrMilestones?: unknown;
  lrGamma?: unknown;
  rho?: unknown;
  p?: unknown;
  adaptive?: boolean;
  asamEta?: unknown;
  swaStart?: unknown;
  swaLr?: unknown;
  cycle?: unknown;
  saveEvery?: unknown;
}

const MODEL_GROUP = 'Model and data:';
const OPT_GROUP = 'Optimisation:';
const METHOD_GROUP = 'Methods:';

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & TrainCliOptions> {
  // Numeric options have no yargs `type`, so `--lr abc` reaches the validation as typed
  // (yargs would turn it into NaN); resolveTrainConfig checks each and names it.
  return y
    .option('model', { describe: `architecture: ${BUILTIN_MODELS.join(', ')}, or a model.json (its topology, seeded weights)`, type: 'string', requiresArg: true })
    .option('init', { describe: 'start from this checkpoint\'s weights (its architecture unless --model is given; an .onnx graph trains as itself)', type: 'string', requiresArg: true })
    .option('data', { describe: 'training data: mnist:train[:N], fashion-mnist:train[:N], npy:X.npy,Y.npy, synthetic:...', type: 'string', demandOption: true, requiresArg: true })
    .option('eval-data', { describe: 'evaluated after every epoch, e.g. mnist:test:1000', type: 'string', requiresArg: true })
    .option('loss', { describe: 'loss (auto: ce for classes, bce for one output unit, mse for regression)', choices: LOSS_CHOICES, default: 'auto' })
    .group(['model', 'init', 'data', 'eval-data', 'loss'], MODEL_GROUP)
    .option('epochs', { describe: `epochs (default ${TRAIN_DEFAULTS.epochs})`, requiresArg: true })
    .option('batch-size', { describe: `minibatch size (default ${TRAIN_DEFAULTS.batchSize})`, requiresArg: true })
    .option('lr', { describe: `learning rate (a1 for swa / fge; default ${TRAIN_DEFAULTS.lr})`, requiresArg: true })
    .option('momentum', { describe: `heavy-ball momentum in [0, 1) (default ${TRAIN_DEFAULTS.momentum})`, requiresArg: true })
    .option('l2', { describe: 'adds l2 * ||w||^2 to the loss (default 0)', requiresArg: true })
    .option('schedule', {
      alias: 'lr-schedule',
      describe: `base LR schedule: ${SCHEDULES.join(', ')} (default constant), or a formula in ${FORMULA_VARIABLES.join(', ')}, e.g. "lr * 0.5 ^ floor((epoch - 1) / 3)"`,
      type: 'string',
      requiresArg: true,
    })
    .option('lr-final', { describe: 'cosine / linear: the LR at the end (default 0; swa: --swa-lr, reached at --swa-start)', requiresArg: true })
    .option('lr-milestones', { describe: 'step: epochs after which the LR is multiplied by --lr-gamma, e.g. 5,8 (default 50% and 75% of --epochs)', requiresArg: true })
    .option('lr-gamma', { describe: 'step: the factor (default 0.1)', requiresArg: true })
    .option('save-every', { describe: 'also save DIR/epoch-K every K epochs (default 0: never)', requiresArg: true })
    .group(['epochs', 'batch-size', 'lr', 'momentum', 'l2', 'schedule', 'lr-final', 'lr-milestones', 'lr-gamma', 'save-every'], OPT_GROUP)
    .option('method', { describe: 'training method (default sgd)', choices: METHODS })
    .option('rho', { describe: `sam: radius of the neighbourhood (default ${TRAIN_DEFAULTS.rho})`, requiresArg: true })
    .option('p', { describe: 'sam: the norm of the neighbourhood, a number > 1 or inf (default 2)', requiresArg: true })
    .option('adaptive', { describe: 'sam: adaptive SAM (ASAM), scaled by |w|', type: 'boolean' })
    .option('asam-eta', { describe: 'sam --adaptive: T_w = |w| + eta (default 0)', requiresArg: true })
    .option('swa-start', { describe: 'swa / fge: epoch after which the cyclic LR and averaging / snapshots start', requiresArg: true })
    .option('swa-lr', { describe: 'swa / fge: a2, the LR at the end of each cycle', requiresArg: true })
    .option('cycle', { describe: 'swa / fge: iterations per cycle (swa default 1: constant LR a2)', requiresArg: true })
    .group(['method', 'rho', 'p', 'adaptive', 'asam-eta', 'swa-start', 'swa-lr', 'cycle'], METHOD_GROUP)
    .example('$0 train --model cnn --data mnist:train:5000 --eval-data mnist:test:1000 --epochs 5 --out runs/sgd', 'SGD')
    .example('$0 train --model cnn --data mnist:train:5000 --method sam --rho 0.05 --out runs/sam', 'SAM (p = 2)')
    .example('$0 train --model cnn --data mnist:train:5000 --epochs 10 --method swa --swa-start 6 --swa-lr 0.01 --out runs/swa', 'SWA, constant LR after epoch 6')
    .example('$0 train --model cnn --data mnist:train:5000 --epochs 10 --method fge --swa-start 4 --cycle 158 --swa-lr 0.001 --out runs/fge', 'FGE snapshots every 2 epochs') as unknown as Argv<
    GlobalOptions & TrainCliOptions
  >;
}

/** The training options from the parsed arguments (only those given; defaults come from resolveTrainConfig). */
export function trainOptionsFrom(argv: TrainCliOptions & { seed: number }): TrainOptions {
  const o: Record<string, unknown> = { seed: argv.seed };
  const keys = ['method', 'epochs', 'batchSize', 'lr', 'momentum', 'l2', 'schedule', 'lrFinal', 'lrMilestones', 'lrGamma', 'rho', 'p', 'adaptive', 'asamEta', 'swaStart', 'swaLr', 'cycle', 'saveEvery'] as const;
  for (const k of keys) if (argv[k] !== undefined) o[k] = argv[k];
  return o as TrainOptions;
}

export async function handler(argv: CommandArgs<TrainCliOptions>): Promise<void> {
  const startedAt = performance.now();
  const config = resolveTrainConfig(trainOptionsFrom(argv));
  if (!argv.out) throw new UsageError('train: --out DIR is required (the run directory: checkpoints, log and resumable state)');
  if (!argv.model && !argv.init) throw new UsageError(`train: give --model (${BUILTIN_MODELS.join(', ')} or a model.json) or --init CKPT`);
  const outDir = argv.out;
  const { guardOutput } = await import('../../io/inputPaths.ts');
  const { isBuiltinModel: isBuiltin } = await import('../../models/builtinModels.ts');
  guardOutput('train', { kind: 'dir', path: outDir, creates: '*' }, {
    checkpoints: [argv.init],
    files: [argv.model !== undefined && !isBuiltin(argv.model) ? argv.model : undefined],
    data: [argv.data, argv.evalData],
  });
  // One run per --out: a second one says the run is in use instead of racing it on the
  // same state directory (io/outputLock.ts); released on exit, Ctrl-C and SIGTERM too.
  const unlock = (await import('../../io/outputLock.ts')).lockOutput('train', outDir);
  const engine = await startEngine(argv);
  const { loadDataset } = await import('../../io/dataset.ts');
  const { loadCheckpoint } = await import('../../formats/loadCheckpoint.ts');
  const { CheckpointFormat } = await import('../../formats/Network.ts');
  const { validateDataForModel } = await import('../../io/validateData.ts');
  const { layersNetwork } = await import('../../formats/layers/layersNetwork.ts');
  const { resolveLoss } = await import('../../objective/resolveLoss.ts');
  const { buildBuiltinModel, isBuiltinModel } = await import('../../models/builtinModels.ts');
  const { modelFromTopologyFile } = await import('../../models/topologyFile.ts');
  const { firstArchitectureDifference, weightInfo } = await import('../../training/modelWeights.ts');
  const { runTraining } = await import('../../training/runTraining.ts');
  const { progressLine, epochLine, solutionLine, throttle, formatDuration } = await import('../../training/progress.ts');
  const { makeResultDocument, engineRef, writeResultDocument } = await import('../../results/resultDocument.ts');
  const { recordedOptions, dataRef } = await import('../../analysis/openAnalysis.ts');
  const { InputError } = await import('../../errors.ts');

  const data = await loadDataset(argv.data, { seed: argv.seed });
  const evalData = argv.evalData ? await loadDataset(argv.evalData, { seed: argv.seed }) : undefined;

  let model = null;
  let modelSource = argv.model ?? `init:${argv.init}`;
  if (argv.model && isBuiltinModel(argv.model)) {
    const t = data.targets;
    model =
      t.kind === 'classes'
        ? buildBuiltinModel(argv.model, data.sampleShape, Math.max(t.numClasses, 2), config.seed)
        : buildBuiltinModel(argv.model, data.sampleShape, t.dim, config.seed, { outputActivation: 'linear' });
  } else if (argv.model) {
    model = await modelFromTopologyFile(argv.model, config.seed);
    modelSource = path.resolve(argv.model);
  }
  let parent: string | undefined;
  let runModel: RunModel | null = null;
  let network: Network | null = null;
  let release = (): void => {};
  if (argv.init) {
    const ckpt = await loadCheckpoint(argv.init);
    parent = ckpt.dir;
    if (ckpt.format === CheckpointFormat.onnx) {
      // An ONNX graph trains as itself: its checkpoints are the graph with updated initializers.
      if (model) {
        ckpt.dispose();
        throw new UsageError(`train: --init ${argv.init} is an ONNX graph, which trains with its own architecture; drop --model`);
      }
      const { onnxRunModel } = await import('../../training/onnxRunModel.ts');
      runModel = onnxRunModel((ckpt as OnnxCheckpoint<OnnxModel>).onnx);
      network = ckpt.network;
      release = () => ckpt.dispose();
    } else if (model) {
      const d = firstArchitectureDifference(weightInfo(model), weightInfo(ckpt.model), `--model ${argv.model}`, `--init ${argv.init}`);
      if (d) throw new InputError(`train: --init does not fit --model: ${d}`);
      model.setWeights(ckpt.model.getWeights());
      ckpt.model.dispose();
    } else {
      model = ckpt.model;
    }
    modelSource = `${modelSource}+init:${ckpt.sha256}`;
  }
  if (!runModel) {
    const { layersRunModel } = await import('../../training/layersRunModel.ts');
    const layers = model!;
    runModel = layersRunModel(layers);
    network = layersNetwork(layers);
    release = () => layers.dispose();
  }
  validateDataForModel(data, network!);
  if (evalData) validateDataForModel(evalData, network!);
  const loss = resolveLoss(argv.loss, data, network!);
  const { checkLossFit } = await import('../../analysis/checkLossFit.ts');
  checkLossFit(argv.loss, loss, data, network!.outputActivation);

  let epochsDone = 0;
  let stateDir = path.join(outDir, 'state');
  const undo = onInterrupt(() =>
    epochsDone > 0
      ? `training state after epoch ${epochsDone} of ${config.epochs}: ${stateDir}; rerun the same command to resume`
      : `no epoch completed; rerunning the same command starts over in ${outDir}`,
  );
  let sessionStart = performance.now();
  let firstIteration = 0;
  const totalIterations = (epochs: number, nb: number) => epochs * nb;
  let nb = 1;
  const progress = throttle(2000, (line: string) => note(argv, line));
  let summary;
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
      events: {
        onStart: (s) => {
          nb = s.batchesPerEpoch;
          epochsDone = s.resumedFrom;
          stateDir = s.stateDir;
          firstIteration = s.resumedFrom * nb;
          sessionStart = performance.now();
          note(
            argv,
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
          note(argv, epochLine(r, config.epochs, left > 0 ? (elapsed / done) * left : null));
        },
        onNote: (line) => note(argv, line),
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
    options: recordedOptions(argv as unknown as Record<string, unknown>),
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
  printResult(argv, doc, () => {
    const lines = [
      `train: ${summary.method}, ${summary.epochs} epochs (${summary.iterations} iterations)${summary.resumedFrom > 0 ? `, resumed after epoch ${summary.resumedFrom}` : ''}, ${formatDuration(seconds)}; log ${summary.log}`,
    ];
    for (const [name, s] of Object.entries(summary.solutions)) lines.push(solutionLine(name, s));
    if (summary.snapshots.length > 0) lines.push(`snapshots: ${summary.snapshots.length} in ${outDir}/snapshot-1 ... snapshot-${summary.snapshots.length}`);
    return lines.join('\n');
  });
}
