/**
 * Checkpoints: TensorFlow.js layers-model directories (`model.json` + weight files, as
 * written by `model.save()`, by the TensorFlow.js converter from Keras, or by
 * `saveCheckpoint`), with an optional sidecar `sharpness.json`.
 *
 * `loadCheckpoint` checks everything it can before building the model (see
 * checkpointFiles.ts), then checks the manifest against the model the topology builds
 * (names, shapes, dtypes), so each problem is reported on one line naming the file.
 * Inputs are only read; `saveCheckpoint` writes a whole directory atomically.
 */
import * as path from 'node:path';
import { tf, tfl } from '../engine/tf.ts';
import { InputError, NumericError } from '../errors.ts';
import { writeDirAtomic } from './atomicWrite.ts';
import {
  SIDECAR_JSON,
  assertFiniteWeights,
  readCheckpointFiles,
  scanNonFinite,
  type CheckpointFiles,
} from './checkpointFiles.ts';
import { checkpointSha256 } from './checkpointSha256.ts';
import { artifactsFromCheckpointFiles, artifactsToFiles, weightDataBytes } from './fsIOHandler.ts';
import { unknownLayerClasses } from './layerClasses.ts';
import { checkTopologyAgainstManifest } from './validateTopology.ts';
import { readSidecar, validateSidecar, type Sidecar } from './sidecar.ts';

export type { Sidecar } from './sidecar.ts';

export interface LayersCheckpointWeight {
  /** The weight's name in the checkpoint (its manifest name, e.g. 'dense_Dense1/kernel'). */
  name: string;
  shape: number[];
  dtype: string;
  trainable: boolean;
}

export interface LayersCheckpointFiles {
  /** The checkpoint directory, as given (or the directory of the given model.json). */
  dir: string;
  model: tfl.LayersModel;
  /** model.json as parsed. */
  modelJson: tf.io.ModelJSON;
  /** See checkpointSha256: canonical topology JSON + weight bytes in manifest order. */
  sha256: string;
  paramCount: number;
  trainableParamCount: number;
  /** The model's weights in `model.weights` order. */
  weights: LayersCheckpointWeight[];
  sidecar?: Sidecar;
}

export interface SaveCheckpointOptions {
  /** Replace an existing non-empty directory (default false). */
  overwrite?: boolean;
}

export interface SavedCheckpoint {
  dir: string;
  sha256: string;
  paramCount: number;
  /** The files written, relative to dir. */
  files: string[];
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  let line = msg.replace(/\s+/g, ' ').trim();
  // tfjs appends long explanations ("Unknown initializer: Bar. This may be due to ..."): keep the first sentence.
  const stop = line.indexOf('. ', 10);
  if (line.length > 160 && stop > 0) line = line.slice(0, stop);
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

function fmtShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(',')}]`;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Which weight file holds a manifest entry (the first file its bytes touch). */
function fileOfSpec(files: CheckpointFiles, name: string): string {
  for (const g of files.groups) {
    const i = g.specs.findIndex((s) => s.name === name);
    if (i >= 0) {
      const at = g.specOffsets[i]!;
      let fi = 0;
      while (fi + 1 < g.fileOffsets.length && g.fileOffsets[fi + 1]! <= at) fi++;
      return g.files[fi] ?? files.modelJsonPath;
    }
  }
  return files.modelJsonPath;
}

/**
 * Matches manifest entries to the model's weights as tfjs-layers' `loadWeights` does (by
 * original name; TF >= 2.2 names with an inner RNN cell scope are shortened) and checks
 * names, shapes and dtypes, so a mismatch names the weight and file.
 */
function checkManifestAgainstModel(files: CheckpointFiles, model: tfl.LayersModel): void {
  const byName = new Map<string, tfl.LayerVariable>();
  for (const layer of model.layers) for (const w of layer.weights) byName.set(w.originalName, w);
  const unset = new Set(byName.keys());
  for (const g of files.groups) {
    for (const s of g.specs) {
      if (s.group === 'optimizer') continue;
      let key = s.name;
      if (!byName.has(key)) {
        const t = s.name.split('/');
        key = t.slice(0, -2).concat([t[t.length - 1]!]).join('/');
      }
      const w = byName.get(key);
      if (!w) {
        throw new InputError(
          `checkpoint: weight ${s.name} in ${fileOfSpec(files, s.name)} matches no weight of the model that ${files.modelJsonPath} describes; the weights manifest and the topology disagree`,
        );
      }
      const want = w.shape as number[];
      if (want.length !== s.shape.length || want.some((d, i) => d !== s.shape[i])) {
        throw new InputError(
          `checkpoint: weight ${s.name} in ${fileOfSpec(files, s.name)} has shape ${fmtShape(s.shape)} but the model in ${files.modelJsonPath} expects ${fmtShape(want)}; the weights do not match the topology`,
        );
      }
      if (w.dtype !== (s.dtype ?? 'float32')) {
        throw new InputError(
          `checkpoint: weight ${s.name} in ${fileOfSpec(files, s.name)} has dtype ${s.dtype} but the model in ${files.modelJsonPath} expects ${w.dtype}; the weights do not match the topology`,
        );
      }
      unset.delete(key);
    }
  }
  if (unset.size > 0) {
    const names = [...unset];
    const list = names.slice(0, 5).join(', ') + (names.length > 5 ? `, ... (${names.length} in all)` : '');
    throw new InputError(
      `checkpoint: ${files.modelJsonPath} describes a model whose weight${names.length === 1 ? '' : 's'} ${list} ${names.length === 1 ? 'is' : 'are'} missing from its weights manifest`,
    );
  }
}

async function buildModel(files: CheckpointFiles): Promise<tfl.LayersModel> {
  const mj = files.modelJson;
  const unknown = unknownLayerClasses(mj.modelTopology);
  if (unknown.length > 0) {
    throw new InputError(
      `checkpoint: ${files.modelJsonPath} uses layer class '${unknown[0]}' which TensorFlow.js does not know; re-export the model with built-in layers only${unknown.length > 1 ? ` (also unknown: ${unknown.slice(1).map((c) => `'${c}'`).join(', ')})` : ''}`,
    );
  }
  // Before tfjs sees the topology: a cycle or a dangling reference would loop forever in
  // tfjs, and weights the manifest does not hold would be allocated and initialised.
  let manifestElements = 0;
  for (const g of files.groups) for (const s of g.specs) if (s.group !== 'optimizer') manifestElements += sizeOf(s.shape);
  checkTopologyAgainstManifest(mj.modelTopology, manifestElements, files.modelJsonPath);
  let model: tfl.LayersModel;
  try {
    // Topology only: weights are checked against it, then loaded below.
    model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology }));
  } catch (e) {
    throw new InputError(`checkpoint: ${files.modelJsonPath} has a topology TensorFlow.js cannot build: ${oneLine(e)}`, { cause: e });
  }
  try {
    checkManifestAgainstModel(files, model);
    const artifacts = artifactsFromCheckpointFiles(files);
    const specs = artifacts.weightSpecs ?? [];
    const decoded = tf.io.decodeWeights(artifacts.weightData!, specs);
    try {
      const modelWeights: tf.NamedTensorMap = {};
      for (const s of specs) if (s.group !== 'optimizer') modelWeights[s.name] = decoded[s.name]!;
      model.loadWeights(modelWeights, true);
    } finally {
      tf.dispose(Object.values(decoded));
    }
    if (mj.userDefinedMetadata != null) model.setUserDefinedMetadata(mj.userDefinedMetadata);
  } catch (e) {
    model.dispose();
    if (e instanceof InputError) throw e;
    throw new InputError(`checkpoint: the weights of ${files.modelJsonPath} cannot be loaded into its model: ${oneLine(e)}`, { cause: e });
  }
  return model;
}

/**
 * Loads a checkpoint from its directory or its model.json. Throws InputError, naming the
 * file, for a missing or malformed model.json, an unknown layer class, a manifest path
 * leaving the directory, a missing, truncated or oversized weight file, NaN/Inf weights,
 * a dtype or shape mismatch, or a malformed sharpness.json.
 */
export async function loadLayersCheckpoint(pathOrDir: string): Promise<LayersCheckpointFiles> {
  const files = await readCheckpointFiles(pathOrDir);
  assertFiniteWeights(files);
  const sidecar = await readSidecar(files.dir);
  const model = await buildModel(files);
  const weights: LayersCheckpointWeight[] = model.weights.map((w) => ({
    name: w.originalName,
    shape: [...(w.shape as number[])],
    dtype: w.dtype,
    trainable: w.trainable,
  }));
  const paramCount = weights.reduce((a, w) => a + sizeOf(w.shape), 0);
  const trainableParamCount = weights.filter((w) => w.trainable).reduce((a, w) => a + sizeOf(w.shape), 0);
  const checkpoint: LayersCheckpointFiles = {
    dir: files.dir,
    model,
    modelJson: files.modelJson,
    sha256: checkpointSha256(files.modelJson.modelTopology, files.groups.map((g) => g.bytes)),
    paramCount,
    trainableParamCount,
    weights,
  };
  if (sidecar !== undefined) checkpoint.sidecar = sidecar;
  return checkpoint;
}

/**
 * Saves `model` as a checkpoint directory (`model.json`, `weights.bin`, `sharpness.json`)
 * atomically. Refuses to replace a non-empty directory unless `overwrite`, and refuses a
 * model with NaN or infinite weights (NumericError), since it could not be loaded again.
 */
export async function saveCheckpoint(
  model: tfl.LayersModel,
  dir: string,
  sidecar: Sidecar = {},
  options: SaveCheckpointOptions = {},
): Promise<SavedCheckpoint> {
  const side = validateSidecar(sidecar, 'saveCheckpoint sidecar');
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!artifacts) throw new InputError(`checkpoint: saving to ${dir} produced no model artifacts`);
  const bytes = weightDataBytes(artifacts);
  const bad = scanNonFinite(artifacts.weightSpecs ?? [], bytes);
  if (bad.length > 0) {
    const b = bad[0]!;
    throw new NumericError(
      `checkpoint: refusing to save ${dir}: weight ${b.name} has ${b.count} non-finite value${b.count === 1 ? '' : 's'} (first at index ${b.firstIndex})`,
    );
  }
  const files = artifactsToFiles(artifacts);
  files[SIDECAR_JSON] = `${JSON.stringify(side, null, 2)}\n`;
  await writeDirAtomic(dir, files, { overwrite: options.overwrite ?? false });
  // Hash the topology as it was written (JSON round trip), so it equals the hash on load.
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as unknown;
  const paramCount = model.weights.reduce((a, w) => a + sizeOf(w.shape as number[]), 0);
  return { dir: path.normalize(dir), sha256: checkpointSha256(topology, [bytes]), paramCount, files: Object.keys(files) };
}
