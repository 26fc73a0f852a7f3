/**
 * A `tf.io.IOHandler` over the file system for TensorFlow.js layers-model directories
 * (tfjs-node's `file://` handler is not available here). Load reads and validates
 * `model.json` and every weight file it lists (several groups and shards, as the
 * TensorFlow.js converter writes them: `group1-shard1of2.bin`, ...); save writes
 * `model.json` + `weights.bin` atomically.
 */
import * as path from 'node:path';
import { tf } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import { writeDirAtomic, type FileContents } from './atomicWrite.ts';
import {
  MODEL_JSON,
  WEIGHTS_BIN,
  assertFiniteWeights,
  readCheckpointFiles,
  type CheckpointFiles,
} from './checkpointFiles.ts';

export interface FsIOHandlerOptions {
  /** On save, replace an existing non-empty directory (default false). */
  overwrite?: boolean;
}

/** The model.json fields other than topology and manifest that are passed through as they are. */
const PASS_THROUGH = ['format', 'generatedBy', 'convertedBy', 'trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const;

/** The bytes of `artifacts.weightData` as one contiguous array. */
export function weightDataBytes(artifacts: tf.io.ModelArtifacts): Uint8Array {
  if (artifacts.weightData == null) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
}

/** The model.json object for `artifacts`, with all weights in one group stored in `weightPaths`. */
export function modelJsonForArtifacts(artifacts: tf.io.ModelArtifacts, weightPaths: string[] = [WEIGHTS_BIN]): tf.io.ModelJSON {
  if (artifacts.modelTopology == null || artifacts.modelTopology instanceof ArrayBuffer) {
    throw new InputError('checkpoint: cannot save a model without a JSON topology (only layers models can be saved)');
  }
  const json: Record<string, unknown> = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_core}`,
    convertedBy: null,
  };
  for (const k of PASS_THROUGH) if (artifacts[k] !== undefined) json[k] = artifacts[k];
  json['format'] = 'layers-model';
  json['modelTopology'] = artifacts.modelTopology;
  json['weightsManifest'] = [{ paths: weightPaths, weights: artifacts.weightSpecs ?? [] }];
  return json as unknown as tf.io.ModelJSON;
}

/** The files of a checkpoint directory for `artifacts`: `model.json` and `weights.bin`. */
export function artifactsToFiles(artifacts: tf.io.ModelArtifacts): Record<string, FileContents> {
  return {
    [MODEL_JSON]: JSON.stringify(modelJsonForArtifacts(artifacts, [WEIGHTS_BIN])),
    [WEIGHTS_BIN]: weightDataBytes(artifacts),
  };
}

/** Model artifacts for checked checkpoint files (weight data: one buffer per manifest group). */
export function artifactsFromCheckpointFiles(files: CheckpointFiles): tf.io.ModelArtifacts {
  const specs = files.groups.flatMap((g) => g.specs);
  const buffers = files.groups.map((g) => g.bytes.buffer.slice(g.bytes.byteOffset, g.bytes.byteOffset + g.bytes.byteLength) as ArrayBuffer);
  return tf.io.getModelArtifactsForJSONSync(files.modelJson, specs, buffers);
}

function saveDir(pathOrDir: string): string {
  return path.basename(pathOrDir) === MODEL_JSON ? path.dirname(pathOrDir) : pathOrDir;
}

/**
 * An IOHandler for the checkpoint at `pathOrDir` (a directory, or its model.json):
 * `tfl.loadLayersModel(fsIOHandler(dir))`, `model.save(fsIOHandler(dir))`. Loading checks
 * the files as `loadCheckpoint` does (paths, sizes, finite weights); saving refuses to
 * replace a non-empty directory unless `overwrite`.
 */
export function fsIOHandler(pathOrDir: string, options: FsIOHandlerOptions = {}): tf.io.IOHandler {
  return {
    load: async () => {
      const files = await readCheckpointFiles(pathOrDir);
      assertFiniteWeights(files);
      return artifactsFromCheckpointFiles(files);
    },
    save: async (artifacts: tf.io.ModelArtifacts) => {
      await writeDirAtomic(saveDir(pathOrDir), artifactsToFiles(artifacts), { overwrite: options.overwrite ?? false });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}
