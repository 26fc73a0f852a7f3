/**
 * The BatchNorm pass (BatchNormPass.ts) of a TensorFlow.js layers model, built from its
 * topology alone (the weights come by setWeights, all of them in `model.weights` order), so
 * a worker thread builds the same pass from the same JSON: a copy of the model whose noise
 * layers (dropout, Gaussian noise) are the identity, and a probe model whose outputs are the
 * BatchNormalization layers' inputs, run in training mode (see recomputeBatchNorm.ts).
 */
import { tf, tfl, type Tensor } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import { silenceNoiseLayer, type ModelJson } from '../formats/layers/analysisModel.ts';
import type { BatchNormPass } from './BatchNormPass.ts';
import { batchMoments } from './ChannelMoments.ts';
import { setFlatWeights } from './modelWeights.ts';

function isModelLayer(l: tfl.layers.Layer): boolean {
  return (l as unknown as { layers?: unknown }).layers !== undefined;
}

/** The model's BatchNormalization layers (top level); refuses nested models that hold some. */
export function batchNormLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  for (const l of model.layers) {
    if (isModelLayer(l) && batchNormLayers(l as unknown as tfl.LayersModel).length > 0) {
      throw new InputError(`batchnorm: layer ${l.name} is a nested model with BatchNormalization layers; flatten the model to recompute its statistics`);
    }
  }
  return model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
}

function channelsLast(t: Tensor, axis: number): Tensor {
  const rank = t.rank;
  const a = axis < 0 ? axis + rank : axis;
  if (a === rank - 1) return t;
  const perm = [...Array(rank).keys()].filter((i) => i !== a).concat([a]);
  return tf.transpose(t, perm);
}

const sizeOf = (shape: readonly (number | null)[]) => shape.reduce<number>((a, b) => a * (b as number), 1);

/** The pass of the model `topology` describes (topologyOf(model)); not changed. */
export async function openLayersBatchNormPass(topology: ModelJson): Promise<BatchNormPass> {
  const json = JSON.parse(JSON.stringify(topology)) as ModelJson;
  for (const layer of json.config.layers) silenceNoiseLayer(layer);
  const copy = await tfl.models.modelFromJSON({ modelTopology: json } as unknown as tf.io.ModelJSON);
  try {
    const bns = batchNormLayers(copy);
    const inputs = bns.map((l) => {
      try {
        return l.input as tfl.SymbolicTensor;
      } catch (e) {
        throw new InputError(`batchnorm: layer ${l.name} is applied more than once; its statistics are ambiguous (${(e as Error).message.split('\n')[0]})`);
      }
    });
    // The probe shares the copy's layers; disposing the copy releases their weights.
    const probe = tfl.model({ inputs: copy.inputs, outputs: inputs });
    const axes = bns.map((l) => {
      const axis = (l.getConfig() as { axis?: number | number[] }).axis ?? -1;
      if (Array.isArray(axis)) {
        if (axis.length !== 1) throw new InputError(`batchnorm: layer ${l.name} normalises over several axes; not supported`);
        return axis[0]!;
      }
      return axis;
    });
    const channels = bns.map((_, i) => {
      const shape = inputs[i]!.shape;
      const a = axes[i]! < 0 ? axes[i]! + shape.length : axes[i]!;
      return shape[a] as number;
    });
    return {
      weightCount: copy.weights.reduce((a, w) => a + sizeOf(w.shape), 0),
      setWeights: (flat) => setFlatWeights(copy, flat),
      batch(data, start, size) {
        const per = data.sampleShape.reduce((a, b) => a * b, 1);
        const outs = tf.tidy(() => {
          const x = tf.tensor(data.x.subarray(start * per, (start + size) * per), [size, ...data.sampleShape], 'float32');
          const y = probe.apply(x, { training: true }) as Tensor | Tensor[];
          const list = Array.isArray(y) ? y : [y];
          return list.map((t, i) => tf.reshape(channelsLast(t, axes[i]!), [-1, channels[i]!]));
        });
        try {
          return outs.map((t, i) => ({ layer: bns[i]!.name, ...batchMoments(t.dataSync(), channels[i]!) }));
        } finally {
          tf.dispose(outs);
        }
      },
      dispose: () => copy.dispose(),
    };
  } catch (e) {
    copy.dispose();
    throw e;
  }
}
