/**
 * `sharpness compare CKPT... --labels A,B,C --data D --eval-data D2 --out DIR`: every
 * measure for every solution, the lines between them, and the report. Each measure is
 * the corresponding command run as a step that writes DIR/results/NAME.json; a rerun
 * skips the steps whose result is already there (landscapes resume mid-way), so an
 * interrupted comparison continues where it stopped.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandArgs, CommandFile } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withAnalysisOptions, type AnalysisOptions } from '../analysisOptions.ts';
import { note, printResult } from '../output.ts';
import { onInterrupt } from '../interrupt.ts';
import { UsageError } from '../../errors.ts';
import { MAX_BYTES, readInputTextSync } from '../../io/safeRead.ts';
import { DEFAULT_SAVE_INTERVAL, type ItemOptions } from '../itemOptions.ts';

export const command = 'compare <checkpoints..>';
export const describe = 'all three widths, landscapes and a report for several solutions side by side';

export interface CompareSettings {
  labels: string[];
  data: string;
  evalData: string;
  topK: number;
  probes: number;
  densityRuns: number;
  densitySteps: number;
  l2Radii: string;
  boxRadii: string;
  ballSteps: number;
  ballSamples: number;
  volumeDelta: number;
  volumeDirections: number;
  rays: number;
  rayRange: string;
  lineRange: string;
  plane: boolean;
  /** The lines to draw, as index pairs [from, to] into the checkpoints (default: consecutive pairs). */
  lines?: [number, number][];
  /** The L2 coefficient the landscapes add to the train loss (default: --l2); the training run's own lambda reproduces the SWA paper's regularised loss. */
  landscapeL2?: number;
  /** Only these checkpoints (indices) get the per-solution measures (default: all). */
  measured?: number[];
}

interface CompareOptions extends AnalysisOptions, Omit<CompareSettings, 'labels'> {
  checkpoints: string[];
  labels: string | undefined;
  title: string | undefined;
}

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & CompareOptions> {
  const G = 'Compare:';
  return withAnalysisOptions(y.positional('checkpoints', { describe: 'checkpoint directories', type: 'string', array: true, demandOption: true }), { params: false })
    .option('eval-data', { describe: 'held-out data for test loss / error (default: --data)', type: 'string', requiresArg: true })
    .option('labels', { describe: 'names of the solutions, comma-separated, in order', type: 'string', requiresArg: true })
    .option('title', { describe: 'report title', type: 'string', requiresArg: true })
    .option('workers', { describe: 'worker threads for each measure (default: SHARPNESS_WORKERS, else the number of cores)', requiresArg: true })
    .option('top-k', { describe: 'Hessian eigenvalues per solution', type: 'number', default: 3, group: G })
    .option('probes', { describe: 'Hutchinson probes for the trace', type: 'number', default: 30, group: G })
    .option('density-runs', { describe: 'SLQ runs for the spectral density', type: 'number', default: 1, group: G })
    .option('density-steps', { describe: 'Lanczos steps per SLQ run', type: 'number', default: 40, group: G })
    .option('l2-radii', { describe: 'radii of the l2 (and adaptive l2) balls', type: 'string', default: '0.05,0.1,0.2', group: G })
    .option('box-radii', { describe: "radii of Keskar's box", type: 'string', default: '1e-4,5e-4,1e-3', group: G })
    .option('ball-steps', { describe: 'ascent steps per start', type: 'number', default: 10, group: G })
    .option('ball-samples', { describe: 'random points for the average-case value', type: 'number', default: 16, group: G })
    .option('volume-delta', { describe: 'loss increase bounding the flat region', type: 'number', default: 0.1, group: G })
    .option('volume-directions', { describe: 'random directions for the flat volume', type: 'number', default: 20, group: G })
    .option('rays', { describe: 'random filter-normalised rays per solution', type: 'number', default: 5, group: G })
    .option('ray-range', { describe: 'distance grid of the rays', type: 'string', default: '0:1:11', group: G })
    .option('line-range', { describe: 'alpha grid of the lines between solutions', type: 'string', default: '-0.5:1.5:21', group: G })
    .option('plane', { describe: 'also the plane through the first three solutions', type: 'boolean', default: false, group: G })
    .example('$0 compare runs/sgd/final runs/sam/final runs/swa/swa --labels SGD,SAM,SWA --data mnist:train:2000 --eval-data mnist:test:2000 --out reports/cmp', 'compare three solutions')
    .check((a) => {
      if (!a.out) throw new UsageError('compare: --out DIR is required (results, figures and index.html go there)');
      return true;
    }) as unknown as Argv<GlobalOptions & CompareOptions>;
}

/** One measure of one solution (or one pair), run through a command's handler. */
export interface CompareStep {
  name: string;
  file: string;
  module: () => Promise<CommandFile>;
  args: Record<string, unknown>;
}

export function compareSteps(checkpoints: readonly string[], s: CompareSettings, resultsDir: string): CompareStep[] {
  const steps: CompareStep[] = [];
  const file = (name: string) => path.join(resultsDir, `${name}.json`);
  const safe = (label: string) => label.replace(/[^A-Za-z0-9._-]+/g, '_');
  const evaluate = () => import('./evaluate.ts');
  const hessian = () => import('./hessian.ts');
  const ball = () => import('./ball.ts');
  const volume = () => import('./volume.ts');
  const landscape = () => import('./landscape.ts');
  const l2 = s.landscapeL2 === undefined ? {} : { l2: s.landscapeL2 };
  checkpoints.forEach((ckpt, i) => {
    if (s.measured && !s.measured.includes(i)) return;
    const L = safe(s.labels[i]!);
    steps.push(
      { name: `${L} evaluate (train)`, file: file(`${L}.evaluate-train`), module: evaluate, args: { checkpoints: [ckpt], data: s.data, ensemble: false } },
      { name: `${L} evaluate (eval)`, file: file(`${L}.evaluate-eval`), module: evaluate, args: { checkpoints: [ckpt], data: s.evalData, ensemble: false } },
      {
        name: `${L} hessian`,
        file: file(`${L}.hessian`),
        module: hessian,
        args: {
          checkpoint: ckpt, data: s.data, topK: s.topK, solver: 'lanczos', smallest: false, tol: 1e-3, trace: true, traceMethod: 'hutchinson',
          probes: s.probes, density: true, runs: s.densityRuns, steps: s.densitySteps, gridPoints: 400, perLayer: false,
        },
      },
      ...(
        [
          ['ball-l2', 'l2', false, s.l2Radii],
          ['ball-l2-adaptive', 'l2', true, s.l2Radii],
          ['ball-box', 'box', false, s.boxRadii],
        ] as const
      ).map(([n, norm, adaptive, radius]) => ({
        name: `${L} ${n}`,
        file: file(`${L}.${n}`),
        module: ball,
        args: { checkpoint: ckpt, data: s.data, radius, norm, adaptive, steps: s.ballSteps, restarts: 1, samples: s.ballSamples },
      })),
      {
        name: `${L} volume`,
        file: file(`${L}.volume`),
        module: volume,
        args: {
          checkpoint: ckpt, data: s.data, delta: s.volumeDelta, directions: s.volumeDirections, norm: 'none', maxRadius: 100, tolerance: 1e-3,
          bootstrap: 1000, perLayer: false,
        },
      },
      {
        name: `${L} rays`,
        file: file(`${L}.rays`),
        module: landscape,
        args: { checkpoint: ckpt, data: s.data, evalData: s.evalData, rays: s.rays, range: s.rayRange, randomPlane: false, ...l2 },
      },
    );
  });
  const pairs = s.lines ?? checkpoints.slice(1).map((_, i): [number, number] => [i, i + 1]);
  for (const [i, j] of pairs) {
    const a = safe(s.labels[i]!);
    const b = safe(s.labels[j]!);
    steps.push({
      name: `line ${a}-${b}`,
      file: file(`line.${a}-${b}`),
      module: landscape,
      args: { checkpoint: checkpoints[i], to: checkpoints[j], data: s.data, evalData: s.evalData, range: s.lineRange, randomPlane: false, ...l2 },
    });
  }
  if (s.plane && checkpoints.length >= 3) {
    steps.push({
      name: 'plane',
      file: file('plane'),
      module: landscape,
      args: { checkpoint: checkpoints[0], plane: `${checkpoints[1]},${checkpoints[2]}`, data: s.data, evalData: s.evalData, range: 'auto:15', randomPlane: false, ...l2 },
    });
  }
  return steps;
}

function defaultLabels(checkpoints: readonly string[]): string[] {
  const methods = checkpoints.map((c) => {
    try {
      const dir = fs.statSync(c).isDirectory() ? c : path.dirname(c);
      const text = readInputTextSync(path.join(dir, 'sharpness.json'), { what: 'compare', within: dir, maxBytes: MAX_BYTES.smallJson, optional: true });
      return text === null ? undefined : (JSON.parse(text) as { method?: string }).method;
    } catch {
      return undefined;
    }
  });
  if (methods.every((m) => typeof m === 'string') && new Set(methods).size === methods.length) return methods as string[];
  const bases = checkpoints.map((c) => path.basename(path.resolve(c)));
  return new Set(bases).size === bases.length ? bases : bases.map((b, i) => `${b}${i + 1}`);
}

export function resolveLabels(checkpoints: readonly string[], labels: string | undefined): string[] {
  if (labels === undefined) return defaultLabels(checkpoints);
  const out = labels.split(',').map((l) => l.trim());
  if (out.length !== checkpoints.length || out.some((l) => l === '')) {
    throw new UsageError(`compare: --labels needs ${checkpoints.length} non-empty names (one per checkpoint), got '${labels}'`);
  }
  if (new Set(out).size !== out.length) throw new UsageError(`compare: --labels must be distinct, got '${labels}'`);
  return out;
}

/** What a caller adds to a comparison: result files made elsewhere, more steps, labels of the checkpoints those steps name. */
export interface CompareExtras {
  files?: readonly string[];
  steps?: readonly CompareStep[];
  labels?: readonly { checkpoint: string; label: string }[];
}

/** Runs the steps, skipping finished ones; returns the result files in order. */
export async function runCompare(
  argv: GlobalOptions & Pick<AnalysisOptions, 'loss' | 'bn' | 'l2' | 'batchSize'> & { workers?: ItemOptions['workers'] },
  checkpoints: readonly string[],
  settings: CompareSettings,
  outDir: string,
  title: string,
  extras: CompareExtras = {},
): Promise<{ files: string[]; index: string }> {
  const extraFiles = extras.files ?? [];
  const extraSteps = extras.steps ?? [];
  const extraLabels = extras.labels ?? [];
  const { writeJsonAtomic } = await import('../../io/atomicWrite.ts');
  const { guardOutput } = await import('../../io/inputPaths.ts');
  const { REPORT_ENTRIES } = await import('./report.ts');
  // Before anything is created under outDir.
  guardOutput('compare', { kind: 'dir', path: outDir, creates: ['results', 'compare.json', ...REPORT_ENTRIES] }, {
    checkpoints,
    files: extraFiles,
    data: [settings.data, settings.evalData],
  });
  const resultsDir = path.join(outDir, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const manifestPath = path.join(outDir, 'compare.json');
  const manifest = { schema: 'sharpness/compare-plan@1', checkpoints: checkpoints.map((c) => path.resolve(c)), settings, seed: argv.seed, loss: argv.loss, bn: argv.bn, l2: argv.l2 };
  if (fs.existsSync(manifestPath)) {
    const { parseComparePlan } = await import('../../results/compareDocuments.ts');
    const old = parseComparePlan(fs.readFileSync(manifestPath, 'utf8'), manifestPath);
    if (JSON.stringify(old) !== JSON.stringify(manifest)) {
      throw new UsageError(`compare: ${outDir} holds a comparison with other settings (${manifestPath}); use another --out or delete it`);
    }
  } else {
    await writeJsonAtomic(manifestPath, manifest);
  }
  const steps = [...compareSteps(checkpoints, settings, resultsDir), ...extraSteps];
  let current = '';
  const release = onInterrupt(() => `compare: stopped during '${current}'; finished results are in ${resultsDir}; rerun the same command to continue`);
  try {
    for (const [k, step] of steps.entries()) {
      current = step.name;
      if (fs.existsSync(step.file)) {
        note(argv, `compare: [${k + 1}/${steps.length}] ${step.name}: done earlier`);
        continue;
      }
      const t0 = performance.now();
      const mod = await step.module();
      await mod.handler({
        _: [],
        $0: 'sharpness',
        backend: argv.backend,
        threads: argv.threads,
        seed: argv.seed,
        json: false,
        quiet: true,
        debug: argv.debug,
        silent: true,
        loss: argv.loss,
        bn: argv.bn,
        l2: argv.l2,
        batchSize: argv.batchSize,
        saveInterval: DEFAULT_SAVE_INTERVAL,
        workers: argv.workers,
        ...step.args,
        out: step.file,
      } as unknown as CommandArgs);
      note(argv, `compare: [${k + 1}/${steps.length}] ${step.name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    release();
  }
  const { writeReportFromFiles } = await import('../../report/writeReport.ts');
  const files = [...steps.map((s) => s.file), ...extraFiles];
  const index = await writeReportFromFiles(files, outDir, {
    labels: [...settings.labels, ...extraLabels.map((e) => e.label)],
    checkpoints: [...checkpoints, ...extraLabels.map((e) => e.checkpoint)],
    title,
  });
  return { files, index };
}

export async function handler(argv: CommandArgs<CompareOptions>): Promise<void> {
  if (argv.checkpoints.length < 1) throw new UsageError('compare: give at least one checkpoint');
  const labels = resolveLabels(argv.checkpoints, argv.labels);
  const settings: CompareSettings = {
    labels,
    data: argv.data,
    evalData: argv.evalData ?? argv.data,
    topK: argv.topK,
    probes: argv.probes,
    densityRuns: argv.densityRuns,
    densitySteps: argv.densitySteps,
    l2Radii: argv.l2Radii,
    boxRadii: argv.boxRadii,
    ballSteps: argv.ballSteps,
    ballSamples: argv.ballSamples,
    volumeDelta: argv.volumeDelta,
    volumeDirections: argv.volumeDirections,
    rays: argv.rays,
    rayRange: argv.rayRange,
    lineRange: argv.lineRange,
    plane: argv.plane,
  };
  const outDir = argv.out!;
  const { index } = await runCompare(argv, argv.checkpoints, settings, outDir, argv.title ?? `Comparison of ${labels.join(', ')}`);
  printResult(argv, { schema: 'sharpness/compare@1', index, results: path.join(outDir, 'results') }, `report: ${index}`);
}
