/**
 * `sharpness swa CKPT... --data D --out DIR`: post-hoc SWA of saved checkpoints of one
 * architecture: every weight averaged, BatchNorm statistics recomputed on D, saved as a
 * checkpoint with a sidecar naming its parents.
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { note, printResult, startEngine } from '../output.ts';
import { UsageError } from '../../errors.ts';
import { LOSS_CHOICES } from '../../objective/resolveLoss.ts';

export const command = 'swa <checkpoints..>';
export const describe = 'average checkpoints of one architecture (post-hoc SWA), BatchNorm recomputed on --data';

interface SwaOptions {
  checkpoints: string[];
  data: string;
  evalData?: string;
  loss: string;
  batchSize: unknown;
}

export const SWA_BATCH_SIZE = 128;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & SwaOptions> {
  return y
    .positional('checkpoints', { describe: 'checkpoint directories (at least 2)', type: 'string', array: true, demandOption: true })
    .option('data', { describe: 'data for the BatchNorm statistics (the training data), e.g. mnist:train:5000', type: 'string', demandOption: true, requiresArg: true })
    .option('eval-data', { describe: 'also score the average on this data', type: 'string', requiresArg: true })
    .option('loss', { describe: 'loss for the scores (auto: ce for classes, bce for one output unit, mse for regression)', choices: LOSS_CHOICES, default: 'auto' })
    .option('batch-size', { describe: 'samples per batch of the BatchNorm pass', default: SWA_BATCH_SIZE, requiresArg: true })
    .example('$0 swa runs/sgd/epoch-6 runs/sgd/epoch-8 runs/sgd/epoch-10 --data mnist:train:5000 --out runs/swa-posthoc', 'SWA of a saved trajectory') as unknown as Argv<
    GlobalOptions & SwaOptions
  >;
}

export async function handler(argv: CommandArgs<SwaOptions>): Promise<void> {
  const startedAt = performance.now();
  if (!argv.out) throw new UsageError('swa: --out DIR is required (the averaged checkpoint is written there)');
  if (argv.checkpoints.length < 2) throw new UsageError(`swa: give at least 2 checkpoints to average, got ${argv.checkpoints.length}`);
  const batchSize = argv.batchSize;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new UsageError(`swa: --batch-size must be an integer >= 1, got ${String(batchSize)}`);
  }
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('swa', { kind: 'dir', path: argv.out, creates: '*' }, { checkpoints: argv.checkpoints, data: [argv.data, argv.evalData] });
  const engine = await startEngine(argv);
  const { loadCheckpoint } = await import('../../formats/loadCheckpoint.ts');
  const { requireLayers } = await import('../../formats/Checkpoint.ts');
  const { saveCheckpoint } = await import('../../io/checkpoint.ts');
  const { loadDataset } = await import('../../io/dataset.ts');
  const { validateDataForModel } = await import('../../io/validateData.ts');
  const { resolveLoss } = await import('../../objective/resolveLoss.ts');
  const { averageIntoInPlace } = await import('../../training/averageCheckpoints.ts');
  const { scoreModel } = await import('../../training/evaluateModel.ts');
  const { solutionLine } = await import('../../training/progress.ts');
  const { makeResultDocument, engineRef } = await import('../../results/resultDocument.ts');
  const { recordedOptions, dataRef, checkpointRef, checkOutPath } = await import('../../analysis/openAnalysis.ts');
  const { VERSION } = await import('../../version.ts');
  type Ckpt = ReturnType<typeof requireLayers>;

  const ckpts: Ckpt[] = [];
  try {
    for (const p of argv.checkpoints) {
      const c = requireLayers(await loadCheckpoint(p), 'swa');
      checkOutPath(argv.out, { dirs: [c.dir] });
      ckpts.push(c);
    }
    const data = await loadDataset(argv.data, { seed: argv.seed });
    const evalData = argv.evalData ? await loadDataset(argv.evalData, { seed: argv.seed }) : undefined;
    const target = ckpts[0]!.model;
    validateDataForModel(data, ckpts[0]!.network);
    if (evalData) validateDataForModel(evalData, ckpts[0]!.network);
    const loss = resolveLoss(argv.loss, data, target);
    const refs = ckpts.map(checkpointRef);
    const bn = await averageIntoInPlace(
      target,
      ckpts.map((c) => ({ label: c.dir, model: c.model })),
      data,
      { batchSize },
    );
    note(argv, `swa: averaged ${ckpts.length} checkpoints${bn.length > 0 ? `; BatchNorm statistics of ${bn.length} layer${bn.length === 1 ? '' : 's'} recomputed on ${data.spec}` : ''}`);
    const train = await scoreModel(target, data, loss);
    const ev = evalData ? await scoreModel(target, evalData, loss) : null;
    const metrics: Record<string, number> = { trainLoss: train.loss };
    if (train.accuracy !== null) metrics['trainAccuracy'] = train.accuracy;
    if (ev) {
      metrics['evalLoss'] = ev.loss;
      if (ev.accuracy !== null) metrics['evalAccuracy'] = ev.accuracy;
    }
    const saved = await saveCheckpoint(target, argv.out, {
      method: 'swa',
      hyperparameters: { posthoc: true, checkpoints: ckpts.length, data: data.spec, batchSize },
      seed: argv.seed,
      metrics,
      parents: refs.map((r) => ({ path: r.path, sha256: r.sha256 })),
      createdBy: `sharpness ${VERSION}`,
    });
    const result = {
      checkpoint: saved.dir,
      sha256: saved.sha256,
      members: ckpts.length,
      batchNormLayers: bn.map((s) => s.layer),
      train: { loss: train.loss, accuracy: train.accuracy },
      eval: ev ? { loss: ev.loss, accuracy: ev.accuracy } : null,
    };
    const doc = makeResultDocument({
      command: 'swa',
      options: recordedOptions(argv as unknown as Record<string, unknown>),
      seed: argv.seed,
      checkpoints: refs,
      data: dataRef(data),
      ...(evalData ? { evalData: dataRef(evalData) } : {}),
      loss,
      engine: engineRef(engine),
      result,
      cost: { seconds: (performance.now() - startedAt) / 1000, lossEvaluations: ev ? 2 : 1, gradients: 0, hvps: 0 },
    });
    printResult(argv, doc, () => solutionLine('swa', { path: saved.dir, train: result.train, eval: result.eval }));
  } finally {
    for (const c of ckpts) c.model.dispose();
  }
}
