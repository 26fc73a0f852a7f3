/**
 * Writes an ONNX checkpoint directory atomically: DIR/model.onnx (the serialized graph) and
 * DIR/sharpness.json (the sidecar), as `saveCheckpoint` does for layers models. loadCheckpoint
 * reads DIR back (a directory holding one .onnx file), sidecar included.
 */
import * as path from 'node:path';
import { NumericError } from '../errors.ts';
import { writeDirAtomic } from './atomicWrite.ts';
import type { SavedCheckpoint } from './checkpoint.ts';
import { SIDECAR_JSON } from './checkpointFiles.ts';
import { sha256Hex } from './sha256.ts';
import { validateSidecar, type Sidecar } from './sidecar.ts';

export const ONNX_MODEL_FILE = 'model.onnx';

export interface SaveOnnxOptions {
  /** Replace an existing non-empty directory (default false). */
  overwrite?: boolean;
  /** The values written into the graph (parameters and state): checked finite, counted. */
  weights: readonly { name: string; values: ArrayLike<number> }[];
}

/**
 * Saves `bytes` (a serialized ModelProto without external data) as DIR/model.onnx with the
 * sidecar. Refuses non-finite weights (NumericError): the file could not be loaded again.
 * The sha256 is that of the bytes, as loadOnnx computes it.
 */
export async function saveOnnxCheckpoint(dir: string, bytes: Uint8Array, sidecar: Sidecar, opts: SaveOnnxOptions): Promise<SavedCheckpoint> {
  const side = validateSidecar(sidecar, 'saveOnnxCheckpoint sidecar');
  let paramCount = 0;
  for (const w of opts.weights) {
    let bad = 0;
    let first = -1;
    for (let i = 0; i < w.values.length; i++) {
      if (!Number.isFinite(w.values[i]!)) {
        bad++;
        if (first < 0) first = i;
      }
    }
    if (bad > 0) {
      throw new NumericError(`checkpoint: refusing to save ${dir}: weight ${w.name} has ${bad} non-finite value${bad === 1 ? '' : 's'} (first at index ${first})`);
    }
    paramCount += w.values.length;
  }
  const files = { [ONNX_MODEL_FILE]: bytes, [SIDECAR_JSON]: `${JSON.stringify(side, null, 2)}\n` };
  await writeDirAtomic(dir, files, { overwrite: opts.overwrite ?? false });
  return { dir: path.normalize(dir), sha256: sha256Hex(bytes), paramCount, files: Object.keys(files) };
}
