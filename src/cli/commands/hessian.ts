/** `sharpness hessian CKPT --data D`: top eigenvalues, trace and spectral density of the Hessian. */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withAnalysisOptions, type AnalysisOptions } from '../analysisOptions.ts';
import { note, printResult } from '../output.ts';
import { SOLVERS, TRACE_METHODS, type Solver, type TraceMethod } from '../../hessian/types.ts';
import { HESSIAN_DEFAULTS } from '../../hessian/hessianReport.ts';
import { UsageError } from '../../errors.ts';

export const command = 'hessian <checkpoint>';
export const describe = 'top (or most negative) Hessian eigenvalues, Hutchinson trace and SLQ spectral density';

interface HessianCliOptions extends AnalysisOptions {
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
  return withAnalysisOptions(y.positional('checkpoint', { describe: 'checkpoint directory', type: 'string', demandOption: true }))
    .option('samples', { describe: 'use the first N samples of --data (default: all)', type: 'number', requiresArg: true })
    .option('top-k', { describe: 'number of eigenvalues', type: 'number', default: HESSIAN_DEFAULTS.topK })
    .option('solver', { describe: 'lanczos (full reorthogonalisation) or power (PyHessian)', choices: SOLVERS, default: HESSIAN_DEFAULTS.solver })
    .option('smallest', { describe: 'the k most negative eigenvalues instead (saddles; lanczos)', type: 'boolean', default: false })
    .option('tol', { describe: 'lanczos: ||Hv - lambda v|| <= tol |lambda|; power: relative change', type: 'number', default: HESSIAN_DEFAULTS.tol })
    .option('max-iter', { describe: 'power: HVPs per eigenvalue (100); lanczos: steps in all (200)', type: 'number', requiresArg: true })
    .option('trace', { describe: 'estimate the trace', type: 'boolean', default: false })
    .option('trace-method', { describe: 'hutchinson (Rademacher probes) or hutch++', choices: TRACE_METHODS, default: HESSIAN_DEFAULTS.traceMethod })
    .option('probes', { describe: 'HVPs spent on the trace', type: 'number', default: HESSIAN_DEFAULTS.probes })
    .option('density', { describe: 'eigenvalue spectral density by stochastic Lanczos quadrature', type: 'boolean', default: false })
    .option('runs', { describe: 'SLQ runs (random starts)', type: 'number', default: HESSIAN_DEFAULTS.runs })
    .option('steps', { describe: 'Lanczos steps per SLQ run', type: 'number', default: HESSIAN_DEFAULTS.steps })
    .option('sigma', { describe: 'Gaussian kernel width of the density (default: PyHessian rule)', type: 'number', requiresArg: true })
    .option('grid-points', { describe: 'points of the density grid', type: 'number', default: 1000 })
    .option('per-layer', { describe: 'top eigenvalue and trace of each layer\'s diagonal block', type: 'boolean', default: false })
    .example('$0 hessian runs/sgd --data mnist:test:2000 --top-k 5 --trace', 'lambda_1..5 and the trace')
    .example('$0 hessian runs/sgd --data mnist:test:2000 --density --runs 3 --steps 80', 'the spectral density') as unknown as Argv<
    GlobalOptions & HessianCliOptions
  >;
}

export async function handler(argv: CommandArgs<HessianCliOptions>): Promise<void> {
  const { hessianReport, resolveHessianOptions } = await import('../../hessian/hessianReport.ts');
  const { hvpOperator } = await import('../../hessian/HvpOperator.ts');
  const { openAnalysis, analysisDocument } = await import('../openAnalysis.ts');
  const { writeResultDocument } = await import('../../io/resultDocument.ts');
  if (argv.samples !== undefined && (!Number.isInteger(argv.samples) || argv.samples < 1)) {
    throw new UsageError(`hessian: --samples must be an integer >= 1, got ${argv.samples}`);
  }
  const given = {
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
  };
  resolveHessianOptions(given); // bad options fail before any loading
  const data = argv.samples !== undefined ? withSamples(argv.data, argv.samples) : argv.data;
  const a = await openAnalysis({ ...argv, data }, argv.checkpoint);
  try {
    const base = hvpOperator(a.objective);
    const t0 = performance.now();
    let lastNote = t0;
    const op = {
      ...base,
      get hvps() {
        return base.hvps;
      },
      apply(v: Parameters<typeof base.apply>[0]) {
        const out = base.apply(v);
        const now = performance.now();
        if (now - lastNote > 5000) {
          lastNote = now;
          note(argv, `hessian: ${base.hvps} HVPs, ${((now - t0) / 1000).toFixed(0)} s`);
        }
        return out;
      },
    };
    const result = hessianReport(op, given);
    if (!result.converged) {
      note(argv, `hessian: NOT converged within --max-iter ${result.maxIter} (residuals ${result.residuals.map((r) => r.toExponential(1)).join(', ')}); raise --max-iter or --tol`);
    }
    const doc = analysisDocument(a, 'hessian', argv, result);
    if (argv.out) await writeResultDocument(argv.out, doc);
    printResult(argv, doc, () => formatHessian(result));
  } finally {
    a.dispose();
  }
}

/** --samples N narrows a data spec to its first N samples where the spec allows a count. */
function withSamples(spec: string, n: number): string {
  const m = /^(mnist|fashion-mnist):(train|test)(?::\d+)?$/.exec(spec);
  if (m) return `${m[1]}:${m[2]}:${n}`;
  const s = /^synthetic:(\w+)(?::\d+)?((?::seed=\d+)?)$/.exec(spec);
  if (s) return `synthetic:${s[1]}:${n}${s[2]}`;
  throw new UsageError(`hessian: --samples works with mnist, fashion-mnist and synthetic data; for ${spec} cut the .npy files instead`);
}

function formatHessian(r: Awaited<ReturnType<typeof import('../../hessian/hessianReport.ts').hessianReport>>): string {
  const lines = [
    `hessian (${r.solver}, ${r.which}): ${r.converged ? 'converged' : 'NOT converged'} after ${r.iterations} iterations, ${r.totalHvps} HVPs`,
    ...r.eigenvalues.map((l, i) => `  lambda_${i + 1} = ${l.toPrecision(6)}   residual ${r.residuals[i]!.toExponential(2)}`),
  ];
  if (r.trace) lines.push(`  trace = ${r.trace.estimate.toPrecision(6)} ± ${r.trace.stderr?.toPrecision(3) ?? "n/a"} (${r.trace.method}, ${r.trace.samples} probes)`);
  if (r.density) lines.push(`  density: ${r.density.runs} SLQ runs x ${r.density.steps} steps, nodes in [${Math.min(...r.density.nodes.flat()).toPrecision(4)}, ${Math.max(...r.density.nodes.flat()).toPrecision(4)}]`);
  if (r.perLayer) for (const l of r.perLayer) lines.push(`  ${l.layer}: lambda_max ${l.eigenvalue.toPrecision(5)}${l.trace ? `, trace ${l.trace.estimate.toPrecision(5)} ± ${l.trace.stderr?.toPrecision(2) ?? "n/a"}` : ''}`);
  return lines.join('\n');
}
