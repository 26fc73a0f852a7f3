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
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withDataOptions, type DataOptions } from '../analysisOptions.ts';
import type { ItemRunOptions } from '../itemCommand.ts';
import { applyOptions, defaultsOf, type ArgsOf } from '../options/OptionTable.ts';
import { COMPARE_BALL_RESTARTS, COMPARE_OPTIONS, COMPARE_PLANE_RANGE } from '../options/compareOptions.ts';
import { BALL_OPTIONS } from '../options/ballOptions.ts';
import { EVALUATE_OPTIONS } from '../options/evaluateOptions.ts';
import { HESSIAN_OPTIONS } from '../options/hessianOptions.ts';
import { LANDSCAPE_OPTIONS } from '../options/landscapeOptions.ts';
import { VOLUME_OPTIONS } from '../options/volumeOptions.ts';
import { BallNorm } from '../../sharpness/perturbationSet.ts';
import type { LandscapeRequest } from '../../landscape/landscapeOptions.ts';
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

type CompareOptions = DataOptions & ArgsOf<typeof COMPARE_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & CompareOptions> {
  return applyOptions(withDataOptions(y), COMPARE_OPTIONS)
    .example('$0 compare runs/sgd/final runs/sam/final runs/swa/swa --labels SGD,SAM,SWA --data mnist:train:2000 --eval-data mnist:test:2000 --out reports/cmp', 'compare three solutions')
    .check((a) => {
      if (!a.out) throw new UsageError('compare: --out DIR is required (results, figures and index.html go there)');
      return true;
    });
}

/** What every step shares: the engine, the seed, the analysis options and the worker threads. */
export type StepContext = Pick<GlobalOptions, 'backend' | 'threads' | 'seed'> & Pick<DataOptions, 'loss' | 'bn' | 'l2' | 'batchSize'> & Pick<ItemOptions, 'workers'>;

/**
 * One measure of one solution (or one pair): a job description built from the measure's own
 * option table (its defaults, then compare's settings), run by the measure's runner into `file`.
 */
export interface CompareStep {
  name: string;
  file: string;
  /** The checkpoints (indices) the step measures: when one changes, the step is recomputed. */
  uses?: number[];
  run(c: StepContext): Promise<void>;
}

/**
 * The file-name form of each label: letters, digits, '.', '_' and '-' kept, anything else
 * '_'. Labels that would share a name (`α` and `β` both give `_`; `A` and `a` on a
 * case-insensitive file system) all get their position appended (`_-1`, `_-2`), so no
 * solution's results overwrite another's.
 */
export function labelFileNames(labels: readonly string[]): string[] {
  const safe = labels.map((l) => l.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_'));
  const lower = safe.map((n) => n.toLowerCase());
  return new Set(lower).size === lower.length ? safe : safe.map((n, i) => `${n}-${i + 1}`);
}

/** The options of a step's run: the result goes to `file` only, nothing is printed. */
function stepRun(c: StepContext, file: string): ItemRunOptions {
  return { backend: c.backend, threads: c.threads, quiet: true, json: false, silent: true, out: file, shard: undefined, workers: c.workers, saveInterval: DEFAULT_SAVE_INTERVAL };
}

/** What a step's description starts from: the engine and the analysis options, as the measure's command line records them. */
function stepArgs(c: StepContext, checkpoint: string, data: string) {
  return { backend: c.backend, threads: c.threads, seed: c.seed, loss: c.loss, bn: c.bn, l2: c.l2, batchSize: c.batchSize, params: undefined, checkpoint, data };
}

async function runItemStep<D>(c: StepContext, file: string, command: string, job: string, description: D): Promise<void> {
  const { runItemCommand } = await import('../itemCommand.ts');
  await runItemCommand(stepRun(c, file), { command, module: new URL(`../jobs/${job}`, import.meta.url).href, description });
}

/** An evaluate step of a comparison: these checkpoints on `data`, their ensemble too when asked. */
export async function runEvaluateStep(c: StepContext, out: string, checkpoints: string[], data: string, ensemble: boolean): Promise<void> {
  const { runEvaluate } = await import('../jobs/evaluateRun.ts');
  const { checkpoint: _c, ...args } = stepArgs(c, checkpoints[0]!, data);
  await runEvaluate({ ...stepRun(c, out), ...args, seed: c.seed, ...defaultsOf(EVALUATE_OPTIONS), checkpoints, ensemble });
}

/** A landscape step of a comparison (also the demo's extra planes). */
export async function runLandscapeStep(c: StepContext, file: string, request: Omit<LandscapeRequest, 'loss' | 'bn' | 'l2' | 'batchSize' | 'seed'> & { l2?: number }): Promise<void> {
  const { resolveLandscapeSpec } = await import('../../landscape/landscapeOptions.ts');
  const { describeLandscape } = await import('../jobs/landscapeJob.ts');
  const spec = resolveLandscapeSpec({ ...defaultsOf(LANDSCAPE_OPTIONS), ...request, loss: c.loss, bn: c.bn, l2: request.l2 ?? c.l2, batchSize: c.batchSize, seed: c.seed });
  await runItemStep(c, file, 'landscape', 'landscapeJob.ts', describeLandscape(spec, c));
}

export function compareSteps(checkpoints: readonly string[], s: CompareSettings, resultsDir: string): CompareStep[] {
  const steps: CompareStep[] = [];
  const file = (name: string) => path.join(resultsDir, `${name}.json`);
  const names = labelFileNames(s.labels);
  const evaluate = (checkpoint: string, data: string, out: string) => (c: StepContext) => runEvaluateStep(c, out, [checkpoint], data, false);
  const l2 = s.landscapeL2 === undefined ? {} : { l2: s.landscapeL2 };
  checkpoints.forEach((ckpt, i) => {
    if (s.measured && !s.measured.includes(i)) return;
    const L = names[i]!;
    const ballStep = (n: string, norm: BallNorm, adaptive: boolean, radius: string): CompareStep => ({
      name: `${L} ${n}`,
      uses: [i],
      file: file(`${L}.${n}`),
      run: async (c) => {
        const { describeBall } = await import('../jobs/ballJob.ts');
        const args = { ...stepArgs(c, ckpt, s.data), ...defaultsOf(BALL_OPTIONS), radius, norm, adaptive, steps: s.ballSteps, restarts: COMPARE_BALL_RESTARTS, samples: s.ballSamples };
        await runItemStep(c, file(`${L}.${n}`), 'ball', 'ballJob.ts', describeBall(args));
      },
    });
    steps.push(
      { name: `${L} evaluate (train)`, uses: [i], file: file(`${L}.evaluate-train`), run: evaluate(ckpt, s.data, file(`${L}.evaluate-train`)) },
      { name: `${L} evaluate (eval)`, uses: [i], file: file(`${L}.evaluate-eval`), run: evaluate(ckpt, s.evalData, file(`${L}.evaluate-eval`)) },
      {
        name: `${L} hessian`,
        uses: [i],
        file: file(`${L}.hessian`),
        run: async (c) => {
          const { describeHessian } = await import('../jobs/hessianJob.ts');
          const args = {
            ...stepArgs(c, ckpt, s.data), ...defaultsOf(HESSIAN_OPTIONS),
            topK: s.topK, trace: true, probes: s.probes, density: true, runs: s.densityRuns, steps: s.densitySteps,
          };
          await runItemStep(c, file(`${L}.hessian`), 'hessian', 'hessianJob.ts', describeHessian({ ...args, quiet: true, samples: undefined, maxIter: undefined, sigma: undefined }));
        },
      },
      ballStep('ball-l2', BallNorm.l2, false, s.l2Radii),
      ballStep('ball-l2-adaptive', BallNorm.l2, true, s.l2Radii),
      ballStep('ball-box', BallNorm.box, false, s.boxRadii),
      {
        name: `${L} volume`,
        uses: [i],
        file: file(`${L}.volume`),
        run: async (c) => {
          const { describeVolume } = await import('../jobs/volumeJob.ts');
          const args = { ...stepArgs(c, ckpt, s.data), ...defaultsOf(VOLUME_OPTIONS), delta: s.volumeDelta, directions: s.volumeDirections, ignore: undefined };
          await runItemStep(c, file(`${L}.volume`), 'volume', 'volumeJob.ts', describeVolume(args));
        },
      },
      {
        name: `${L} rays`,
        uses: [i],
        file: file(`${L}.rays`),
        run: (c) => runLandscapeStep(c, file(`${L}.rays`), { checkpoint: ckpt, data: s.data, evalData: s.evalData, rays: s.rays, range: s.rayRange, ...l2 }),
      },
    );
  });
  const pairs = s.lines ?? checkpoints.slice(1).map((_, i): [number, number] => [i, i + 1]);
  for (const [i, j] of pairs) {
    const a = names[i]!;
    const b = names[j]!;
    steps.push({
      name: `line ${a}-${b}`,
      uses: [i, j],
      file: file(`line.${a}-${b}`),
      run: (c) => runLandscapeStep(c, file(`line.${a}-${b}`), { checkpoint: checkpoints[i]!, to: checkpoints[j], data: s.data, evalData: s.evalData, range: s.lineRange, ...l2 }),
    });
  }
  if (s.plane && checkpoints.length >= 3) {
    steps.push({
      name: 'plane',
      uses: [0, 1, 2],
      file: file('plane'),
      run: (c) =>
        runLandscapeStep(c, file('plane'), { checkpoint: checkpoints[0]!, plane: `${checkpoints[1]},${checkpoints[2]}`, data: s.data, evalData: s.evalData, range: COMPARE_PLANE_RANGE, ...l2 }),
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
  argv: GlobalOptions & Pick<DataOptions, 'loss' | 'bn' | 'l2' | 'batchSize'> & { workers?: ItemOptions['workers'] },
  checkpoints: readonly string[],
  settings: CompareSettings,
  outDir: string,
  title: string,
  extras: CompareExtras = {},
): Promise<{ files: string[]; index: string }> {
  const extraFiles = extras.files ?? [];
  const extraSteps = extras.steps ?? [];
  const extraLabels = extras.labels ?? [];
  const { guardOutput } = await import('../../io/inputPaths.ts');
  const { REPORT_ENTRIES } = await import('./report.ts');
  // Before anything is created under outDir.
  guardOutput('compare', { kind: 'dir', path: outDir, creates: ['results', 'compare.json', ...REPORT_ENTRIES] }, {
    checkpoints,
    files: extraFiles,
    data: [settings.data, settings.evalData],
  });
  // One comparison per --out: a second one says the output is in use (io/outputLock.ts).
  const unlock = (await import('../../io/outputLock.ts')).lockOutput('compare', outDir);
  try {
    return await runCompareLocked(argv, checkpoints, settings, outDir, title, extraFiles, extraSteps, extraLabels);
  } finally {
    unlock();
  }
}

async function runCompareLocked(
  argv: GlobalOptions & Pick<DataOptions, 'loss' | 'bn' | 'l2' | 'batchSize'> & { workers?: ItemOptions['workers'] },
  checkpoints: readonly string[],
  settings: CompareSettings,
  outDir: string,
  title: string,
  extraFiles: readonly string[],
  extraSteps: readonly CompareStep[],
  extraLabels: NonNullable<CompareExtras['labels']>,
): Promise<{ files: string[]; index: string }> {
  const { writeJsonAtomic } = await import('../../io/atomicWrite.ts');
  const resultsDir = path.join(outDir, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const { progressPathFor, readIfExists } = await import('../itemCommand.ts');
  const manifestPath = path.join(outDir, 'compare.json');
  // The plan records each checkpoint's content hash: a path alone would let a rerun reuse
  // results of a checkpoint that has since been retrained in place.
  const { checkpointContentSha256 } = await import('../../io/checkpointContentSha256.ts');
  const checkpointSha256 = checkpoints.map((c) => checkpointContentSha256(c, 'compare'));
  const settingsPart = { schema: 'sharpness/compare-plan@1', checkpoints: checkpoints.map((c) => path.resolve(c)), settings, seed: argv.seed, loss: argv.loss, bn: argv.bn, l2: argv.l2 };
  const manifest = { ...settingsPart, checkpointSha256 };
  const steps = [...compareSteps(checkpoints, settings, resultsDir), ...extraSteps];
  const planText = readIfExists(manifestPath, 'compare');
  if (planText !== null) {
    const { parseComparePlan } = await import('../../results/compareDocuments.ts');
    const { checkpointSha256: oldSha, ...oldSettings } = parseComparePlan(planText, manifestPath);
    if (JSON.stringify(oldSettings) !== JSON.stringify(settingsPart)) {
      throw new UsageError(`compare: ${outDir} holds a comparison with other settings (${manifestPath}); use another --out or delete it`);
    }
    // Checkpoints changed since their results were computed (or a plan that recorded no
    // hashes): their steps are recomputed. Results go before the new plan is written, so
    // an interruption in between cannot leave stale results under a current plan.
    const changed = checkpoints.map((_, i) => !Array.isArray(oldSha) || oldSha[i] !== checkpointSha256[i]);
    for (const step of steps) {
      if (!(step.uses ?? []).some((i) => changed[i])) continue;
      for (const f of [step.file, progressPathFor(step.file)]) fs.rmSync(f, { force: true });
    }
    changed.forEach((c, i) => {
      if (c) note(argv, `compare: ${checkpoints[i]} changed since its results were computed (sha256 ${Array.isArray(oldSha) ? String(oldSha[i]).slice(0, 12) : 'not recorded'} then, ${checkpointSha256[i]!.slice(0, 12)} now); recomputing its steps`);
    });
    if (changed.some((c) => c)) await writeJsonAtomic(manifestPath, manifest);
  } else {
    await writeJsonAtomic(manifestPath, manifest);
  }
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
      await step.run({ backend: argv.backend, threads: argv.threads, seed: argv.seed, loss: argv.loss, bn: argv.bn, l2: argv.l2, batchSize: argv.batchSize, workers: argv.workers });
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
