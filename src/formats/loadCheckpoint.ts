/**
 * The one way a checkpoint is opened, whatever its format: the format is chosen by what
 * the path holds (io/checkpointFormatOf), each format's loader validates everything
 * before building, and the result is a Checkpoint with its Network.
 */
import { checkpointFormatOf } from '../io/checkpointFormatOf.ts';
import { loadLayersCheckpoint } from '../io/checkpoint.ts';
import type { Checkpoint, LayersCheckpoint } from './Checkpoint.ts';
import { CheckpointFormat } from './Network.ts';
import { layersNetwork } from './layers/layersNetwork.ts';

export async function loadCheckpoint(pathArg: string): Promise<Checkpoint> {
  if (checkpointFormatOf(pathArg) === CheckpointFormat.onnx) {
    const { loadOnnxCheckpoint } = await import('./onnx/onnxCheckpoint.ts');
    return loadOnnxCheckpoint(pathArg);
  }
  return loadLayers(pathArg);
}

/** A layers-model checkpoint directory (or its model.json). */
export async function loadLayers(pathArg: string): Promise<LayersCheckpoint> {
  const c = await loadLayersCheckpoint(pathArg);
  let network;
  try {
    network = layersNetwork(c.model);
  } catch (e) {
    c.model.dispose();
    throw e;
  }
  return { ...c, format: CheckpointFormat.layers, network, dispose: () => c.model.dispose() };
}
