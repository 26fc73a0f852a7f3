/**
 * `sharpness hessian CKPT --data D`: top eigenvalues, trace and spectral density of the Hessian.
 *
 * Its work is independent items (the eigenpairs, each Hutchinson probe, each SLQ run, each
 * layer: hessian/hessianItems.ts), so --shard k/n, --workers N and resuming an interrupted
 * run with --out all give the result of one uninterrupted run (cli/itemCommand.ts).
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withAnalysisOptions, type AnalysisOptions } from '../analysisOptions.ts';
import { withItemOptions, type ItemOptions } from '../itemOptions.ts';
import { SOLVERS, TRACE_METHODS, type Solver, type TraceMethod } from '../../hessian/types.ts';
import { HESSIAN_DEFAULTS } from '../../hessian/hessianOptions.ts';
import type { HessianReport } from '../../hessian/hessianReport.ts';

export const command = 'hessian <checkpoint>';
export const describe = 'top (or most negative) Hessian eigenvalues, Hutchinson trace and SLQ spectral density';

interface HessianCliOptions extends AnalysisOptions, ItemOptions {
  checkpoint: string;
  samples: number | undefined;
  topK: number;
  solver: Solver;
  smallest: boolean;
  tol: number;
  maxIter: number | undefined;
  trace: boolean;
  traceMethod: TraceMethod;
  probes: number;
  density: boolean;
  runs: number;
  steps: number;
  sigma: number | undefined;
  gridPoints: number;
  perLayer: boolean;
}

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & HessianCliOptions> {
  return withAnalysisOptions(withItemOptions(y).positional('checkpoint', { describe: 'checkpoint directory', type: 'string', demandOption: true }))
    .option('samples', { describe: 'use the first N samples of --data (default: all)', type: 'number', requiresArg: true })
    .option('top-k', { describe: 'number of eigenvalues', type: 'number', default: HESSIAN_DEFAULTS.topK })
    .option('solver', { describe: 'lanczos (full reorthogonalisation) or power (PyHessian)', choices: SOLVERS, default: HESSIAN_DEFAULTS.solver })
    .option('smallest', { describe: 'the k most negative eigenvalues instead (saddles; lanczos)', type: 'boolean', default: false })
    .option('tol', { describe: 'lanczos: converged when each eigenvalue\'s error bound is <= tol |lambda| (float32 reaches about 3e-7); power: relative change', type: 'number', default: HESSIAN_DEFAULTS.tol })
    .option('max-iter', { describe: 'power: HVPs per eigenvalue (100); lanczos: steps in all (200)', type: 'number', requiresArg: true })
    .option('trace', { describe: 'estimate the trace', type: 'boolean', default: false })
    .option('trace-method', { describe: 'hutchinson (Rademacher probes) or hutch++', choices: TRACE_METHODS, default: HESSIAN_DEFAULTS.traceMethod })
    .option('probes', { describe: 'HVPs spent on the trace', type: 'number', default: HESSIAN_DEFAULTS.probes })
    .option('density', { describe: 'eigenvalue spectral density by stochastic Lanczos quadrature', type: 'boolean', default: false })
    .option('runs', { describe: 'SLQ runs (random starts)', type: 'number', default: HESSIAN_DEFAULTS.runs })
    .option('steps', { describe: 'Lanczos steps per SLQ run', type: 'number', default: HESSIAN_DEFAULTS.steps })
    .option('sigma', {
      describe:
        "standard deviation of the density's Gaussian kernel (default: PyHessian's sqrt(1e-5 max(1, span)), span = node range + 0.02, " +
        'but at least 2 grid spacings, 2 span / (grid-points - 1): with 1000 grid points the wider one whenever span > 2.5; use --grid-points 10000 for PyHessian\'s width up to span 250)',
      type: 'number',
      requiresArg: true,
    })
    .option('grid-points', { describe: 'points of the density grid', type: 'number', default: 1000 })
    .option('per-layer', { describe: 'top eigenvalue and trace of each layer\'s diagonal block', type: 'boolean', default: false })
    .example('$0 hessian runs/sgd --data mnist:test:2000 --top-k 5 --trace', 'lambda_1..5 and the trace')
    .example('$0 hessian runs/sgd --data mnist:test:2000 --density --runs 3 --steps 80', 'the spectral density')
    .example('$0 hessian runs/sgd --data mnist:test:2000 --trace --density --runs 4 --shard 1/2 --out h1.json', 'half the probes and runs; `sharpness merge h1.json h2.json` combines') as unknown as Argv<
    GlobalOptions & HessianCliOptions
  >;
}

export async function handler(argv: CommandArgs<HessianCliOptions>): Promise<void> {
  const { describeHessian } = await import('../jobs/hessianJob.ts');
  const { hessianConvergenceNote } = await import('../../hessian/formatHessian.ts');
  const { runItemCommand } = await import('../itemCommand.ts');
  const description = describeHessian(argv); // bad options fail before any loading
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('hessian', argv.out === undefined ? undefined : { kind: 'file', path: argv.out, siblings: ['.partial.json'] }, { checkpoints: [argv.checkpoint], data: [argv.data] });
  await runItemCommand(argv, {
    command: 'hessian',
    module: new URL('../jobs/hessianJob.ts', import.meta.url).href,
    description,
    afterResult: (result) => hessianConvergenceNote(result as HessianReport),
  });
}
