/**
 * `sharpness evaluate` run from its options: the command's handler and compare's steps both
 * run it (a step with `silent`: the document goes to --out only).
 */
import type { GlobalOptions } from '../globalOptions.ts';
import type { AnalysisOptions } from '../analysisOptions.ts';
import { printResult, startEngine, note } from '../output.ts';
import { UsageError } from '../../errors.ts';

export interface EvaluateResult {
  models: { checkpoint: string; sha256: string; loss: number; accuracy: number | null }[];
  ensemble: { loss: number; accuracy: number | null; members: number } | null;
}

/** What an evaluation runs from: the global options, the analysis options, the checkpoints; silent for a step of another command. */
export type EvaluateRun = Pick<GlobalOptions, 'backend' | 'threads' | 'seed' | 'quiet' | 'json' | 'out'> &
  Omit<AnalysisOptions, 'params'> & { params?: string | undefined; checkpoints: string[]; ensemble: boolean; silent?: boolean };

export async function runEvaluate(argv: EvaluateRun): Promise<void> {
  const startedAt = performance.now();
  if (argv.checkpoints.length === 0) throw new UsageError('evaluate: give at least one checkpoint');
  if (argv.ensemble && argv.checkpoints.length < 2) {
    throw new UsageError(`evaluate: --ensemble needs at least 2 checkpoints, got ${argv.checkpoints.length}`);
  }
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('evaluate', argv.out === undefined ? undefined : { kind: 'file', path: argv.out }, { checkpoints: argv.checkpoints, data: [argv.data] });
  const engine = await startEngine(argv);
  const { loadDataset } = await import('../../io/dataset.ts');
  const { openAnalysisFor, analysisSpecOf } = await import('../../analysis/openAnalysis.ts');
  const { predictOutputs, averageOutputs, scoreOutputs } = await import('../../objective/predictions.ts');
  const { makeResultDocument, engineRef, writeResultDocument } = await import('../../results/resultDocument.ts');
  const { recordedOptions, checkpointRef, dataRef } = await import('../../analysis/openAnalysis.ts');
  type Outputs = Awaited<ReturnType<typeof predictOutputs>>;

  const data = await loadDataset(argv.data, { seed: argv.seed });
  const models: EvaluateResult['models'] = [];
  const refs = [];
  const outputs: Outputs[] = [];
  let loss: Awaited<ReturnType<typeof openAnalysisFor>>['loss'] | null = null;
  let passes = 0;
  for (const path of argv.checkpoints) {
    const a = await openAnalysisFor(analysisSpecOf({ ...argv, checkpoint: path }), { engine, data });
    try {
      const ckpt = a.checkpoint;
      if (loss !== null && a.loss !== loss) {
        throw new UsageError(`evaluate: ${path} needs loss ${a.loss} but earlier checkpoints use ${loss}; pass --loss explicitly`);
      }
      loss = a.loss;
      const r = a.objective.lossAndAccuracy(a.objective.params);
      passes++;
      if (argv.ensemble) outputs.push(await predictOutputs(ckpt.network, data, loss, { bn: argv.bn, batchSize: argv.batchSize }));
      models.push({ checkpoint: ckpt.dir, sha256: ckpt.sha256, ...r });
      refs.push(checkpointRef(ckpt));
      note(argv, `evaluate: ${ckpt.dir}: loss ${r.loss.toPrecision(6)}${r.accuracy === null ? '' : `, accuracy ${r.accuracy.toFixed(4)}`}`);
    } finally {
      a.dispose();
    }
  }
  if (argv.ensemble && outputs[0] && outputs.some((o) => o.units !== outputs[0]!.units)) {
    throw new UsageError('evaluate: --ensemble needs checkpoints with the same number of outputs');
  }
  const ensemble = argv.ensemble ? { ...scoreOutputs(averageOutputs(outputs), data, loss!), members: outputs.length } : null;
  const result: EvaluateResult = { models, ensemble };
  const doc = makeResultDocument({
    command: 'evaluate',
    options: recordedOptions(argv),
    seed: argv.seed,
    checkpoints: refs,
    data: dataRef(data),
    loss: loss!,
    bn: argv.bn,
    l2: argv.l2,
    engine: engineRef(engine),
    result,
    cost: { seconds: (performance.now() - startedAt) / 1000, lossEvaluations: passes + outputs.length, gradients: 0, hvps: 0 },
  });
  if (argv.out) await writeResultDocument(argv.out, doc);
  printResult(argv, doc, () => {
    const lines = models.map(
      (m) => `${m.checkpoint}: loss ${m.loss.toPrecision(6)}${m.accuracy === null ? '' : `  accuracy ${(100 * m.accuracy).toFixed(2)}%`}`,
    );
    if (ensemble) {
      lines.push(
        `ensemble of ${ensemble.members}: loss ${ensemble.loss.toPrecision(6)}${ensemble.accuracy === null ? '' : `  accuracy ${(100 * ensemble.accuracy).toFixed(2)}%`}`,
      );
    }
    return lines.join('\n');
  });
}
