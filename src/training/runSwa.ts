/**
 * Post-hoc SWA as `sharpness swa` makes it, callable from any command (swa, demo): every
 * weight of checkpoints of one architecture averaged, BatchNorm statistics recomputed on the
 * data, saved as a checkpoint with a sidecar naming its parents (ONNX checkpoints are written
 * back as ONNX: the first checkpoint's graph with the averaged initializers). The caller
 * starts the engine and prints the result document this returns.
 */
import { UsageError } from '../errors.ts';
import { integerInRange } from '../limits.ts';
import type { TrainRunHooks } from './runTrain.ts';
import type { SavedCheckpoint } from '../io/checkpoint.ts';
import type { LossAndAccuracy } from '../objective/Objective.ts';
import type { OnnxCheckpoint } from '../formats/Checkpoint.ts';
import type { OnnxModel } from '../formats/onnx/OnnxModel.ts';
import type { ResultDocument } from '../results/resultDocument.ts';

/** What an average is made from: `swa`'s options. */
export interface SwaRun {
  checkpoints: readonly string[];
  /** The data the BatchNorm statistics are recomputed on. */
  data: string;
  evalData?: string | undefined;
  loss: string;
  /** Samples per batch of the BatchNorm pass (checked here: the value as typed). */
  batchSize: unknown;
  seed: number;
  /** --out: the averaged checkpoint's directory (required). */
  outDir: string | undefined;
  /** The options the result document records (the command line's). */
  recorded: Record<string, unknown>;
  /** --workers as typed (checked here): the BatchNorm pass's worker threads; absent: its default (batchNormWorkerCount). Not recorded. */
  workers?: unknown;
}

/** What swa needs of its caller: train's hooks but Ctrl-C (an average is not resumable). */
export type SwaRunHooks = Pick<TrainRunHooks, 'startEngine' | 'note'>;

export interface SwaResult {
  checkpoint: string;
  sha256: string;
  members: number;
  batchNormLayers: string[];
  train: { loss: number; accuracy: number | null };
  eval: { loss: number; accuracy: number | null } | null;
}

export async function runSwa(run: SwaRun, hooks: SwaRunHooks): Promise<ResultDocument<SwaResult>> {
  const startedAt = performance.now();
  if (!run.outDir) throw new UsageError('swa: --out DIR is required (the averaged checkpoint is written there)');
  const out = run.outDir;
  if (run.checkpoints.length < 2) throw new UsageError(`swa: give at least 2 checkpoints to average, got ${run.checkpoints.length}`);
  const batchSize = integerInRange('swa', 'batch-size', run.batchSize, 1);
  const { parseWorkers } = await import('../parallel/WorkerPool.ts');
  if (run.workers !== undefined) parseWorkers(run.workers);
  const { guardOutput } = await import('../io/inputPaths.ts');
  guardOutput('swa', { kind: 'dir', path: out, creates: '*' }, { checkpoints: run.checkpoints, data: [run.data, run.evalData] });
  // One run per output, as train and the measures: two averages into one directory would interleave.
  const unlock = (await import('../io/outputLock.ts')).lockOutput('swa', out);
  try {
    return await averageInto(run, hooks, out, batchSize, startedAt);
  } finally {
    unlock();
  }
}

async function averageInto(run: SwaRun, hooks: SwaRunHooks, out: string, batchSize: number, startedAt: number): Promise<ResultDocument<SwaResult>> {
  const engine = await hooks.startEngine();
  const { resolveWorkers } = await import('../parallel/WorkerPool.ts');
  const { BatchNormWorkers, batchNormWorkerCount } = await import('./BatchNormWorkers.ts');
  const workers = resolveWorkers(run.workers, engine);
  const { loadCheckpoint } = await import('../formats/loadCheckpoint.ts');
  const { CheckpointFormat } = await import('../formats/Network.ts');
  const { saveCheckpoint } = await import('../io/checkpoint.ts');
  const { averageIntoInPlace } = await import('./averageCheckpoints.ts');
  const { scoreModel } = await import('./evaluateModel.ts');
  const { makeResultDocument, engineRef } = await import('../results/resultDocument.ts');
  const { dataRef, checkpointRef, openData } = await import('../analysis/openAnalysis.ts');
  const { VERSION } = await import('../version.ts');
  type Ckpt = Awaited<ReturnType<typeof loadCheckpoint>>;

  const ckpts: Ckpt[] = [];
  let bnWorkers: InstanceType<typeof BatchNormWorkers> | null = null;
  try {
    for (const p of run.checkpoints) {
      const c = await loadCheckpoint(p);
      ckpts.push(c);
      if (c.format !== ckpts[0]!.format) {
        throw new UsageError(`swa: the checkpoints mix formats (${ckpts[0]!.dir}: ${ckpts[0]!.format}, ${c.dir}: ${c.format}); only checkpoints of one format and architecture can be averaged`);
      }
    }
    const first = ckpts[0]!;
    const { data, loss } = await openData(first.network, { data: run.data, loss: run.loss, seed: run.seed }, { engine });
    const evalData = run.evalData ? (await openData(first.network, { data: run.evalData, loss, seed: run.seed }, { engine })).data : undefined;
    const bnThreads = batchNormWorkerCount(run.workers, workers, data.n);
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
      seed: run.seed,
      metrics,
      parents: refs.map((r) => ({ path: r.path, sha256: r.sha256 })),
      createdBy: `sharpness ${VERSION}`,
    });
    const noteAveraged = (bnCount: number) =>
      hooks.note(`swa: averaged ${ckpts.length} checkpoints${bnCount > 0 ? `; BatchNorm statistics of ${bnCount} layer${bnCount === 1 ? '' : 's'} recomputed on ${data.spec}` : ''}`);
    let saved: SavedCheckpoint;
    let bnNames: string[];
    let train: LossAndAccuracy;
    let ev: LossAndAccuracy | null;
    if (first.format === CheckpointFormat.onnx) {
      // ONNX: the average written into the first checkpoint's graph (DIR/model.onnx).
      const path = await import('node:path');
      const { averageOnnxCheckpoints } = await import('./averageOnnxCheckpoints.ts');
      const { createOnnxModel } = await import('../formats/onnx/loadOnnx.ts');
      const { onnxNetwork } = await import('../formats/onnx/onnxNetwork.ts');
      const { saveOnnxCheckpoint, ONNX_MODEL_FILE } = await import('../io/saveOnnxCheckpoint.ts');
      const models = ckpts.map((c) => ({ label: c.dir, model: (c as OnnxCheckpoint<OnnxModel>).onnx }));
      bnWorkers = bnThreads > 1 ? BatchNormWorkers.forOnnx(models[0]!.model, data, bnThreads) : null;
      const avg = averageOnnxCheckpoints(models, data, { batchSize, workers: bnWorkers });
      bnWorkers?.close();
      noteAveraged(avg.bn.length);
      const m0 = models[0]!.model;
      const bytes = m0.serialize(avg.params, avg.state);
      const averaged = createOnnxModel(bytes, path.join(out, ONNX_MODEL_FILE));
      try {
        const s = await scoreAll(onnxNetwork(averaged));
        ({ train, ev } = s);
        const weights = [...m0.params.map((p, i) => ({ name: p.name, values: avg.params[i]! })), ...m0.state.map((p, i) => ({ name: p.name, values: avg.state[i]! }))];
        saved = await saveOnnxCheckpoint(out, bytes, sidecarWith(s.metrics), { weights });
      } finally {
        averaged.dispose();
      }
      bnNames = avg.bn.map((s) => s.layer);
    } else {
      const { requireLayers } = await import('../formats/Checkpoint.ts');
      const layers = ckpts.map((c) => requireLayers(c, 'swa'));
      const target = layers[0]!.model;
      bnWorkers = bnThreads > 1 ? BatchNormWorkers.forLayers(target, data, bnThreads) : null;
      const bn = await averageIntoInPlace(
        target,
        layers.map((c) => ({ label: c.dir, model: c.model })),
        data,
        { batchSize, workers: bnWorkers },
      );
      bnWorkers?.close();
      noteAveraged(bn.length);
      const s = await scoreAll(target);
      ({ train, ev } = s);
      saved = await saveCheckpoint(target, out, sidecarWith(s.metrics));
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
      options: run.recorded,
      seed: run.seed,
      checkpoints: refs,
      data: dataRef(data),
      ...(evalData ? { evalData: dataRef(evalData) } : {}),
      loss,
      engine: engineRef(engine),
      result,
      cost: { seconds: (performance.now() - startedAt) / 1000, lossEvaluations: ev ? 2 : 1, gradients: 0, hvps: 0 },
    });
    return doc;
  } finally {
    bnWorkers?.close();
    for (const c of ckpts) c.dispose();
  }
}
