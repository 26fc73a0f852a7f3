/**
 * A TensorFlow.js layers model as a TrainableNet: its trainable weights' variables, apply
 * in training mode (BatchNorm layers update their moving statistics inside), Dropout seeded
 * per step, all weights in `model.weights` order.
 */
import { tf, tfl, type Tensor, type Variable } from '../engine/tf.ts';
import type { Rng } from '../engine/rng.ts';
import { flatWeights, setFlatWeights } from './modelWeights.ts';
import type { TrainableNet } from './TrainableNet.ts';
import { outputUnits, seedDropout } from './trainingModel.ts';

export function layersTrainableNet(net: tfl.LayersModel): TrainableNet {
  return {
    vars: net.trainableWeights.map((w) => w.read() as Variable),
    batchNorm: hasBatchNorm(net.layers),
    outputUnits: outputUnits(net),
    weightCount: net.weights.reduce((a, w) => a + (w.shape as number[]).reduce((x, y) => x * y, 1), 0),
    seedStep: (rng: Rng) => seedDropout(net, rng),
    trainingOutput: (x: Tensor) => net.apply(x, { training: true }) as Tensor,
    saveState: () => {
      const stats = net.nonTrainableWeights;
      const saved = stats.map((w) => w.read().clone());
      return () => {
        stats.forEach((w, i) => w.write(saved[i]!));
        tf.dispose(saved);
      };
    },
    endStep: () => {},
    flatWeights: () => flatWeights(net),
    setFlatWeights: (values: ArrayLike<number>) => setFlatWeights(net, values),
  };
}

/** Whether any of `layers` (or of a nested model's) is a BatchNormalization layer. */
function hasBatchNorm(layers: readonly tfl.layers.Layer[]): boolean {
  return layers.some((l) => l.getClassName() === 'BatchNormalization' || ('layers' in l && hasBatchNorm((l as unknown as { layers: tfl.layers.Layer[] }).layers)));
}

/** Whether `x` is a layers model rather than a TrainableNet. */
export function isLayersModel(x: tfl.LayersModel | TrainableNet): x is tfl.LayersModel {
  return x instanceof tfl.LayersModel;
}
