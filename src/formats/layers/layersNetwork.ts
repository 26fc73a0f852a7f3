import type { tf, tfl, Tensor } from '../../engine/tf.ts';
import { InputError } from '../../errors.ts';
import { CheckpointFormat, type AnalysisNet, type Fold, type Network } from '../Network.ts';
import { buildAnalysisModel, outputLayer, topologyOf } from './analysisModel.ts';
import { foldedInference } from './foldedInference.ts';

/** Floats per sample in the model's largest layer output (or its input). */
export function largestActivation(model: tfl.LayersModel): number {
  const size = (shape: unknown): number => {
    const shapes = (Array.isArray(shape) && Array.isArray(shape[0]) ? shape : [shape]) as (number | null)[][];
    return Math.max(0, ...shapes.map((s) => s.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1)));
  };
  let most = 1;
  for (const input of model.inputs) most = Math.max(most, size(input.shape));
  for (const layer of model.layers) {
    try {
      most = Math.max(most, size(layer.outputShape));
    } catch {
      // a layer used more than once has no single output shape; its inputs' sizes count
    }
  }
  return most;
}

/** Whether the model (or a model nested in it) has a BatchNormalization layer. */
export function hasBatchNorm(model: tfl.LayersModel): boolean {
  return model.layers.some(
    (l) => l.getClassName() === 'BatchNormalization' || ((l as unknown as { layers?: unknown }).layers !== undefined && hasBatchNorm(l as unknown as tfl.LayersModel)),
  );
}

/** The activation of a layers model's output ('softmax' for a Softmax layer), or null when unknown. */
export function outputActivationOf(model: tfl.LayersModel): string | null {
  try {
    const layer = outputLayer(topologyOf(model));
    if (layer.class_name === 'Softmax') return 'softmax';
    const a = layer.config['activation'];
    return typeof a === 'string' ? a : null;
  } catch {
    return null;
  }
}

const networks = new WeakMap<tfl.LayersModel, Network>();

/** A TensorFlow.js layers model seen as a Network (the model itself is never changed). */
export function layersNetwork(model: tfl.LayersModel): Network {
  const known = networks.get(model);
  if (known) return known;
  if (model.inputs.length !== 1) {
    throw new InputError(`model: the model has ${model.inputs.length} inputs; sharpness supports models with one input`);
  }
  if (model.outputs.length !== 1) {
    throw new InputError(`model: the model has ${model.outputs.length} outputs; sharpness supports models with one output`);
  }
  const network: Network = {
    format: CheckpointFormat.layers,
    inputShape: (model.inputs[0]!.shape as (number | null)[]).slice(1),
    outputShape: (model.outputs[0]!.shape as (number | null)[]).slice(1),
    get largestActivation() {
      return largestActivation(model);
    },
    get outputActivation() {
      return outputActivationOf(model);
    },
    get paramNames() {
      return model.trainableWeights.map((w) => w.originalName);
    },
    get stateNames() {
      return model.nonTrainableWeights.map((w) => w.originalName);
    },
    get hasBatchNorm() {
      return hasBatchNorm(model);
    },
    weights: () => ({
      trainable: model.trainableWeights.map((w) => w.read().clone()),
      other: model.nonTrainableWeights.map((w) => w.read().clone()),
    }),
    architecture: () => [
      ...model.layers.map((l) => `layer ${l.getClassName()}`),
      ...model.weights.map((w) => `weight [${(w.shape as number[]).join(',')}] ${w.dtype}${w.trainable ? '' : ' non-trainable'}`),
    ],
    async analysisNet(fold: Fold): Promise<AnalysisNet> {
      const { model: net, folded } = await buildAnalysisModel(model, fold);
      const layerVars = net.trainableWeights;
      const infer = foldedInference(net);
      return {
        vars: layerVars.map((w) => w.read() as tf.Variable),
        names: layerVars.map((w) => w.originalName),
        folded: folded as Fold,
        state: net.nonTrainableWeights.map((w) => w.read() as tf.Variable),
        apply: (x: Tensor, training: boolean) => net.apply(x, { training }) as Tensor,
        ...(infer ? { infer } : {}),
        dispose: () => net.dispose(),
      };
    },
  };
  networks.set(model, network);
  return network;
}

/** A Network, or a layers model seen as one (the library's functions accept both). */
export type NetworkLike = Network | tfl.LayersModel;

export function asNetwork(x: NetworkLike): Network {
  return 'analysisNet' in x ? x : layersNetwork(x);
}
