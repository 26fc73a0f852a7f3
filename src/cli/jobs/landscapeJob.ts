/**
 * Opening a landscape from its spec: loads the checkpoints and data, checks them, and
 * builds the landscape. The `landscape` command opens it this way in the main thread, and
 * each worker thread of `--workers N` opens the same landscape from the same spec (the
 * landscape keeps its own result, shard and progress formats; see commands/landscape.ts).
 */
import path from 'node:path';
import { loadCheckpoint } from '../../formats/loadCheckpoint.ts';
import { type Checkpoint } from '../../formats/Checkpoint.ts';
import { loadDataset, type Dataset } from '../../io/dataset.ts';
import { validateDataForModel } from '../../io/validateData.ts';
import { resolveLoss } from '../../objective/resolveLoss.ts';
import { checkLossFit } from '../../analysis/checkLossFit.ts';
import type { Loss } from '../../objective/losses.ts';
import { createLandscape, type Landscape } from '../../landscape/createLandscape.ts';
import { pickValues } from '../../landscape/assembleLandscape.ts';
import type { LandscapeSpec } from '../../landscape/landscapeOptions.ts';
import type { ItemRecord } from '../../landscape/landscapeTypes.ts';
import { recomputeBatchNormInPlace } from '../../training/recomputeBatchNorm.ts';
import type { ItemJob } from '../../parallel/ItemJob.ts';

export interface OpenedLandscape {
  checkpoints: Checkpoint[];
  data: Dataset;
  evalData: Dataset | null;
  loss: Loss;
  landscape: Landscape;
  dispose(): void;
}

/** How figures name the checkpoints: their sidecar methods if distinct, else directory names. */
function uniqueLabels(dirs: readonly string[], methods: readonly (string | undefined)[]): string[] {
  const pick = (xs: (string | undefined)[]) => xs.every((x) => x !== undefined) && new Set(xs).size === xs.length;
  if (pick([...methods])) return methods as string[];
  const bases = dirs.map((d) => path.basename(path.resolve(d)));
  if (pick(bases)) return bases;
  return bases.map((b, k) => `${b}#${k + 1}`);
}

/**
 * Loads what `spec` names and builds its landscape (the engine is already started).
 */
export async function openLandscape(spec: LandscapeSpec): Promise<OpenedLandscape> {
  const checkpoints: Checkpoint[] = [];
  try {
    for (const p of spec.checkpoints) checkpoints.push(await loadCheckpoint(p));
    const model = checkpoints[0]!.network;
    const data = await loadDataset(spec.data, { seed: spec.seed });
    validateDataForModel(data, checkpoints[0]!.network);
    const evalData = spec.evalData !== undefined ? await loadDataset(spec.evalData, { seed: spec.seed }) : null;
    if (evalData) validateDataForModel(evalData, checkpoints[0]!.network);
    const loss = resolveLoss(spec.loss, data, model);
    checkLossFit(spec.loss, loss, data, model.outputActivation);
    if (evalData) resolveLoss(loss, evalData, model);
    const labels = uniqueLabels(
      checkpoints.map((c) => c.dir),
      checkpoints.map((c) => c.sidecar?.method),
    );
    const landscape = await createLandscape({
      spec,
      checkpoints: checkpoints.map((c, k) => ({ network: c.network, ...(c.format === 'layers-model' ? { model: c.model } : {}), label: labels[k]!, path: c.dir, sha256: c.sha256 })),
      data,
      evalData,
      loss,
      recomputeBatchNorm: recomputeBatchNormInPlace,
    });
    return {
      checkpoints,
      data,
      evalData,
      loss,
      landscape,
      dispose() {
        landscape.dispose();
        for (const c of checkpoints) c.dispose();
      },
    };
  } catch (e) {
    for (const c of checkpoints) c.dispose();
    throw e;
  }
}

/** The record of item i, as the command stores it. */
export async function landscapeRecord(landscape: Landscape, i: number): Promise<ItemRecord> {
  const v = await landscape.evaluateItem(i);
  return { i, ...pickValues(v, landscape.frame.hasEval) };
}

/**
 * What a worker thread opens (parallel/workerMain.ts): only `compute` is used there; the
 * main thread makes the documents.
 */
export async function openJob(spec: LandscapeSpec): Promise<Pick<ItemJob<ItemRecord>, 'compute' | 'dispose'>> {
  const opened = await openLandscape(spec);
  return {
    compute: (i) => landscapeRecord(opened.landscape, i),
    dispose: () => opened.dispose(),
  };
}
