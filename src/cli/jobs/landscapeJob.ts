/**
 * `sharpness landscape` as an item job (parallel/ItemJob.ts), run like every item command by
 * cli/itemCommand.ts: the items are the grid points and then the checkpoints; the job's
 * context is the landscape's frame (the checkpoints' coordinates, the directions' norms:
 * computed when the checkpoints are loaded), stored once in each shard so that `merge`
 * assembles the result without a model. The main thread and each worker thread open the
 * same landscape from the description. Shards and progress files of earlier versions (the
 * landscape's own formats) are read through `upgrade`.
 */
import path from 'node:path';
import { loadCheckpoint } from '../../formats/loadCheckpoint.ts';
import { type Checkpoint } from '../../formats/Checkpoint.ts';
import { checkpointRef, dataRef, openData } from '../../analysis/openAnalysis.ts';
import { currentEngineInfo } from '../../engine/backend.ts';
import { InputError } from '../../errors.ts';
import { engineRef, type DocumentHeader } from '../../results/resultDocument.ts';
import { VERSION } from '../../version.ts';
import { createLandscape } from '../../landscape/createLandscape.ts';
import { assembleLandscape, pickValues, type LandscapeResult } from '../../landscape/assembleLandscape.ts';
import { formatLandscape } from '../../landscape/formatLandscape.ts';
import { landscapeIdentity } from '../../landscape/landscapeFingerprint.ts';
import type { LandscapeSpec } from '../../landscape/landscapeOptions.ts';
import type { LandscapeContext } from '../../landscape/landscapeTypes.ts';
import { upgradeLandscapeFile, type LandscapeDescription, type LandscapeRecord } from '../../landscape/legacyLandscapeFiles.ts';
import { recomputeBatchNormInPlace } from '../../training/recomputeBatchNorm.ts';
import type { ItemJob, JobContext, JobFacts } from '../../parallel/ItemJob.ts';

export type { LandscapeDescription } from '../../landscape/legacyLandscapeFiles.ts';

/** The job's description: the resolved spec, and the options the result records (the spec, --backend, --threads). */
export function describeLandscape(spec: LandscapeSpec, run: { backend: string; threads?: number | undefined }): LandscapeDescription {
  return { spec, recorded: { ...spec, backend: run.backend, ...(run.threads !== undefined ? { threads: run.threads } : {}) } };
}

/** How figures name the checkpoints: their sidecar methods if distinct, else directory names. */
function uniqueLabels(dirs: readonly string[], methods: readonly (string | undefined)[]): string[] {
  const pick = (xs: (string | undefined)[]) => xs.every((x) => x !== undefined) && new Set(xs).size === xs.length;
  if (pick([...methods])) return methods as string[];
  const bases = dirs.map((d) => path.basename(path.resolve(d)));
  if (pick(bases)) return bases;
  return bases.map((b, k) => `${b}#${k + 1}`);
}

/** Loads what the description names and builds its landscape (the engine is already started). */
export async function openJob(description: LandscapeDescription, context: JobContext = {}): Promise<ItemJob<LandscapeRecord>> {
  const { spec } = description;
  const checkpoints: Checkpoint[] = [];
  const releases: (() => void)[] = [];
  // With worker threads the pool's workers take this thread's data (openData).
  const shared = { engine: currentEngineInfo(), workers: context.dataWorkers };
  try {
    for (const p of spec.checkpoints) checkpoints.push(await loadCheckpoint(p));
    const model = checkpoints[0]!.network;
    const train = await openData(model, { data: spec.data, loss: spec.loss, seed: spec.seed }, shared);
    releases.push(train.release);
    const { data, loss } = train;
    const evalOpened = spec.evalData !== undefined ? await openData(model, { data: spec.evalData, loss, seed: spec.seed }, shared) : null;
    if (evalOpened) releases.push(evalOpened.release);
    const evalData = evalOpened?.data ?? null;
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
    const engine = currentEngineInfo();
    const frame = landscape.frame;
    const header: DocumentHeader = {
      options: description.recorded,
      seed: spec.seed,
      checkpoint: checkpointRef(checkpoints[0]!),
      ...(checkpoints.length > 1 ? { checkpoints: checkpoints.map(checkpointRef) } : {}),
      data: dataRef(data),
      ...(evalData ? { evalData: dataRef(evalData) } : {}),
      loss,
      bn: spec.bn,
      l2: spec.l2,
      engine: engineRef(engine),
    };
    const context: LandscapeContext = { frame, passesPerItem: landscape.passesPerItem };
    const extra = frame.itemCount - frame.pointCount;
    return {
      header,
      command: 'landscape',
      itemCount: frame.itemCount,
      itemNoun: 'items',
      identity: landscapeIdentity({ version: VERSION, spec, checkpointSha256: checkpoints.map((c) => c.sha256), data, evalData, loss, engine }),
      context,
      note: `landscape: ${frame.kind}, ${frame.itemCount} items (${frame.pointCount} grid points + ${extra} checkpoint${extra === 1 ? '' : 's'}), evaluated by ${landscape.mode}`,
      compute: async (i) => pickValues(await landscape.evaluateItem(i), frame.hasEval),
      dispose() {
        landscape.dispose();
        for (const c of checkpoints) c.dispose();
        for (const r of releases) r();
      },
    };
  } catch (e) {
    for (const c of checkpoints) c.dispose();
    for (const r of releases) r();
    throw e;
  }
}

const isValue = (v: unknown) => v === undefined || v === null || typeof v === 'number';

export function checkRecord(value: unknown, i: number, where: string): LandscapeRecord {
  const r = value as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r) || !isValue(r['trainLoss']) || !isValue(r['trainError']) || !isValue(r['evalLoss']) || !isValue(r['evalError'])) {
    throw new InputError(`${where}: the values of item ${i} are not numbers or null: ${JSON.stringify(value).slice(0, 80)}`);
  }
  return pickValues(r as unknown as LandscapeRecord, 'evalLoss' in r || 'evalError' in r);
}

function contextOf(facts: JobFacts): LandscapeContext {
  return facts.context as LandscapeContext;
}

export function assemble(_description: LandscapeDescription, records: readonly LandscapeRecord[], facts: JobFacts): LandscapeResult {
  return assembleLandscape(contextOf(facts).frame, facts.fingerprint, records.map((r, i) => ({ i, ...r })));
}

export function recordCost(_record: LandscapeRecord, facts: JobFacts): { lossEvaluations: number; gradients: number; hvps: number } {
  return { lossEvaluations: contextOf(facts).passesPerItem, gradients: 0, hvps: 0 };
}

export function setupCost(): { lossEvaluations: number; gradients: number; hvps: number } {
  return { lossEvaluations: 0, gradients: 0, hvps: 0 };
}

export function format(result: LandscapeResult): string {
  return formatLandscape(result);
}

export function upgrade(kind: 'shard' | 'progress', tag: string, value: unknown, where: string): unknown {
  return upgradeLandscapeFile(kind, tag, value, where);
}
