import { tf, tfl } from '../../engine/tf.ts';
import { InputError } from '../../errors.ts';
import type { Fold } from '../Network.ts';

export type LayerJson = { class_name: string; config: Record<string, unknown> };
export type ModelJson = {
  class_name: string;
  config: { name?: string; layers: LayerJson[]; output_layers?: unknown[] } & Record<string, unknown>;
} & Record<string, unknown>;

/** Layers whose training-mode behaviour is random; made the identity for analysis. */
const NOISE_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'AlphaDropout', 'GaussianNoise']);

export interface AnalysisModel {
  model: tfl.LayersModel;
  /** The activation folded into the loss ('softmax', 'sigmoid') or null. */
  folded: string | null;
}

/** The model's Keras-style topology, deep-copied so it can be edited. */
export function topologyOf(model: tfl.LayersModel): ModelJson {
  return JSON.parse(JSON.stringify(model.toJSON(null, false))) as ModelJson;
}

/** The single output layer of a topology. */
export function outputLayer(json: ModelJson): LayerJson {
  const layers = json.config.layers;
  if (json.class_name === 'Sequential') return layers[layers.length - 1]!;
  const outs = json.config.output_layers as [string, number, number][] | undefined;
  if (!outs || outs.length !== 1) {
    throw new InputError(`model: only single-output models are supported, this one has ${outs?.length ?? 0} outputs`);
  }
  const layer = layers.find((l) => l.config['name'] === outs[0]![0]);
  if (!layer) throw new InputError(`model: output layer '${outs[0]![0]}' is not among the model's layers`);
  return layer;
}

/** Makes a noise layer (dropout, Gaussian noise) of a topology the identity, in place; other layers are left alone. */
export function silenceNoiseLayer(layer: LayerJson): void {
  if (!NOISE_LAYERS.has(layer.class_name)) return;
  if ('rate' in layer.config) layer.config['rate'] = 0;
  if ('stddev' in layer.config) layer.config['stddev'] = 0;
}

/** Replaces `activation` on the output layer by linear; returns whether it was there. */
export function foldOutputActivation(layer: LayerJson, activation: string): boolean {
  if (layer.class_name === 'Softmax' && activation === 'softmax') {
    layer.class_name = 'Activation';
    layer.config = { name: layer.config['name'], trainable: layer.config['trainable'] ?? true, activation: 'linear' };
    return true;
  }
  if (layer.config['activation'] === activation) {
    layer.config['activation'] = 'linear';
    return true;
  }
  return false;
}

/**
 * A copy of `model` made for measurement: the output softmax (for cross-entropy) or
 * sigmoid (for binary cross-entropy) removed so the loss works on logits; dropout and
 * noise layers made the identity; BatchNorm momentum set to 1 so that running in
 * training mode (--bn train) uses batch statistics without moving the running ones.
 * The user's model is not touched.
 */
export async function buildAnalysisModel(model: tfl.LayersModel, fold: Fold): Promise<AnalysisModel> {
  const json = topologyOf(model);
  let folded: string | null = null;
  if (fold && foldOutputActivation(outputLayer(json), fold)) folded = fold;
  for (const layer of json.config.layers) {
    silenceNoiseLayer(layer);
    if (layer.class_name === 'BatchNormalization') layer.config['momentum'] = 1;
  }
  const copy = await tfl.models.modelFromJSON({ modelTopology: json } as unknown as tf.io.ModelJSON);
  const weights = model.getWeights();
  copy.setWeights(weights);
  return { model: copy, folded };
}
