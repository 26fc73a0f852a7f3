/**
 * `--model path/model.json` (or a directory holding one): the user's own topology. Only
 * the topology is used; every weight is initialised from the seed (initWeights.ts,
 * Glorot-uniform kernels, as Keras's default), since tfjs's initialisers are not seeded.
 * To start from a checkpoint's weights, use --init.
 */
import * as path from 'node:path';
import { tf, tfl } from '../engine/tf.ts';
import { createRng } from '../engine/rng.ts';
import { InputError } from '../errors.ts';
import { unknownLayerClasses } from '../io/layerClasses.ts';
import { MAX_BYTES, pathKind, readInputTextSync } from '../io/safeRead.ts';
import { checkTopologyGraph } from '../io/validateTopology.ts';
import { parseJsonText } from '../io/parseJsonText.ts';
import { initWeightsInPlace } from './initWeights.ts';

/** The most weights (elements, 4 GiB of float32) a --model topology may imply; it has no manifest to check against. */
export const MAX_TOPOLOGY_WEIGHTS = 2 ** 30;

export async function modelFromTopologyFile(file: string, seed: number): Promise<tfl.LayersModel> {
  let target = file;
  const kind = pathKind(file);
  if (kind === 'missing') throw new InputError(`model: cannot read --model ${file} (ENOENT); give mlp, cnn, resnet or the path of a model.json`);
  if (kind === 'directory') target = path.join(file, 'model.json');
  // A regular file (a FIFO cannot hang training), bounded in size, depth-bounded JSON.
  const json = parseJsonText(readInputTextSync(target, { what: 'model', maxBytes: MAX_BYTES.modelJson }), target, 'model: ');
  const topology = (json as { modelTopology?: unknown }).modelTopology ?? json;
  if (typeof topology !== 'object' || topology === null || !('class_name' in topology)) {
    throw new InputError(`model: ${target} has no model topology (expected a model.json with "modelTopology", or a Keras model config)`);
  }
  const unknown = unknownLayerClasses(topology);
  if (unknown.length > 0) throw new InputError(`model: ${target} uses layer class '${unknown[0]}' which TensorFlow.js does not know`);
  // Before tfjs builds it: a cycle or a dangling reference would loop forever, and a
  // topology implying billions of weights would allocate and initialise them all.
  const implied = checkTopologyGraph(topology, target);
  if (implied > MAX_TOPOLOGY_WEIGHTS) {
    throw new InputError(
      `model: ${target} implies at least ${implied} weights, more than the ${MAX_TOPOLOGY_WEIGHTS} a --model topology may have; check the layer sizes`,
    );
  }
  let model: tfl.LayersModel;
  try {
    model = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
  } catch (e) {
    throw new InputError(`model: ${target} has a topology TensorFlow.js cannot build: ${(e as Error).message.split('\n')[0]}`);
  }
  initWeightsInPlace(model, createRng(seed));
  return model;
}
