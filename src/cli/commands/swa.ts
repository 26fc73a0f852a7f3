/**
 * `sharpness swa CKPT... --data D --out DIR`: post-hoc SWA of saved checkpoints of one
 * architecture: every weight averaged, BatchNorm statistics recomputed on D, saved as a
 * checkpoint with a sidecar naming its parents. ONNX checkpoints are written back as ONNX
 * (DIR/model.onnx: the first checkpoint's graph with the averaged initializers).
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { note, printResult, startEngine } from '../output.ts';
import { UsageError } from '../../errors.ts';
import { LOSS_CHOICES } from '../../objective/resolveLoss.ts';
import type { SavedCheckpoint } from '../../io/checkpoint.ts';
import type { LossAndAccuracy } from '../../objective/Objective.ts';
import type { OnnxCheckpoint } from '../../formats/Checkpoint.ts';
import type { OnnxModel } from '../../formats/onnx/OnnxModel.ts';

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
  const { CheckpointFormat } = await import('../../formats/Network.ts');
  const { saveCheckpoint } = await import('../../io/checkpoint.ts');
  const { loadDataset } = await import('../../io/dataset.ts');
  const { validateDataForModel } = await import('../../io/validateData.ts');
  const { resolveLoss } = await import('../../objective/resolveLoss.ts');
  const { averageIntoInPlace } = await import('../../training/averageCheckpoints.ts');
  const { scoreModel } = await import('../../training/evaluateModel.ts');
  const { solutionLine } = await import('../../training/progress.ts');
  const { makeResultDocument, engineRef } = await import('../../results/resultDocument.ts');
  const { recordedOptions, dataRef, checkpointRef } = await import('../../analysis/openAnalysis.ts');
  const { VERSION } = await import('../../version.ts');
  type Ckpt = Awaited<ReturnType<typeof loadCheckpoint>>;

  const ckpts: Ckpt[] = [];
  try {
    for (const p of argv.checkpoints) {
      const c = await loadCheckpoint(p);
      ckpts.push(c);
      if (c.format !== ckpts[0]!.format) {
        throw new UsageError(`swa: the checkpoints mix formats (${ckpts[0]!.dir}: ${ckpts[0]!.format}, ${c.dir}: ${c.format}); only checkpoints of one format and architecture can be averaged`);
      }
    }
    const data = await loadDataset(argv.data, { seed: argv.seed });
    const evalData = argv.evalData ? await loadDataset(argv.evalData, { seed: argv.seed }) : undefined;
    const first = ckpts[0]!;
    validateDataForModel(data, first.network);
    if (evalData) validateDataForModel(evalData, first.network);
    const loss = resolveLoss(argv.loss, data, first.network);
    const refs = ckpts.map(checkpointRef);
    const scoreAll = async (net: Parameters<typeof scoreModel>[0]) => {
      const train = await scoreModel(net, data, loss);
      const ev = evalData ? await scoreModel(net, evalData, loss) : null;
      const metrics: Record<string, number> = { trainLoss: train.loss };
      if (train.accuracy !== null) metrics['trainAccuracy'] = train.accuracy;
      if (ev) {
        metrics['evalLoss'] = ev.loss;
        if (ev.accuracy !== null) metrics['evalAccuracy'] = ev.accuracy;
      }
      return { train, ev, metrics };
    };
    const sidecarWith = (metrics: Record<string, number>) => ({
      method: 'swa',
      hyperparameters: { posthoc: true, checkpoints: ckpts.length, data: data.spec, batchSize },
      seed: argv.seed,
      metrics,
      parents: refs.map((r) => ({ path: r.path, sha256: r.sha256 })),
      createdBy: `sharpness ${VERSION}`,
    });
    const noteAveraged = (bnCount: number) =>
      note(argv, `swa: averaged ${ckpts.length} checkpoints${bnCount > 0 ? `; BatchNorm statistics of ${bnCount} layer${bnCount === 1 ? '' : 's'} recomputed on ${data.spec}` : ''}`);
    let saved: SavedCheckpoint;
    let bnNames: string[];
    let train: LossAndAccuracy;
    let ev: LossAndAccuracy | null;
    if (first.format === CheckpointFormat.onnx) {
      // ONNX: the average written into the first checkpoint's graph (DIR/model.onnx).
      const path = await import('node:path');
      const { averageOnnxCheckpoints } = await import('../../training/averageOnnxCheckpoints.ts');
      const { createOnnxModel } = await import('../../formats/onnx/loadOnnx.ts');
      const { onnxNetwork } = await import('../../formats/onnx/onnxNetwork.ts');
      const { saveOnnxCheckpoint, ONNX_MODEL_FILE } = await import('../../io/saveOnnxCheckpoint.ts');
      const models = ckpts.map((c) => ({ label: c.dir, model: (c as OnnxCheckpoint<OnnxModel>).onnx }));
      const avg = averageOnnxCheckpoints(models, data, { batchSize });
      noteAveraged(avg.bn.length);
      const m0 = models[0]!.model;
      const bytes = m0.serialize(avg.params, avg.state);
      const averaged = createOnnxModel(bytes, path.join(argv.out, ONNX_MODEL_FILE));
      try {
        const s = await scoreAll(onnxNetwork(averaged));
        ({ train, ev } = s);
        const weights = [...m0.params.map((p, i) => ({ name: p.name, values: avg.params[i]! })), ...m0.state.map((p, i) => ({ name: p.name, values: avg.state[i]! }))];
        saved = await saveOnnxCheckpoint(argv.out, bytes, sidecarWith(s.metrics), { weights });
      } finally {
        averaged.dispose();
      }
      bnNames = avg.bn.map((s) => s.layer);
    } else {
      const { requireLayers } = await import('../../formats/Checkpoint.ts');
      const layers = ckpts.map((c) => requireLayers(c, 'swa'));
      const target = layers[0]!.model;
      const bn = await averageIntoInPlace(
        target,
        layers.map((c) => ({ label: c.dir, model: c.model })),
        data,
        { batchSize },
      );
      noteAveraged(bn.length);
      const s = await scoreAll(target);
      ({ train, ev } = s);
      saved = await saveCheckpoint(target, argv.out, sidecarWith(s.metrics));
      bnNames = bn.map((b) => b.layer);
    }
    const result = {
      checkpoint: saved.dir,
      sha256: saved.sha256,
      members: ckpts.length,
      batchNormLayers: bnNames,
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
    for (const c of ckpts) c.dispose();
  }
}
