/** A TensorFlow.js layers model as a RunModel: staged in the model itself (the topology the user gave). */
import { tfl } from '../engine/tf.ts';
import { saveCheckpoint } from '../io/checkpoint.ts';
import { canonicalJson } from '../io/canonicalJson.ts';
import { sha256Hex } from '../io/sha256.ts';
import { loadLayers } from '../formats/loadCheckpoint.ts';
import { flatWeights, setFlatWeights } from './modelWeights.ts';
import { recomputeBatchNormInPlace } from './recomputeBatchNorm.ts';
import { BatchNormWorkers } from './BatchNormWorkers.ts';
import type { RunModel } from './RunModel.ts';
import { modelFiles } from './runDirectory.ts';
import { layersTrainableNet } from './layersTrainableNet.ts';
import { buildTrainingNetwork, topologyOf, unseedableNoiseLayers } from './trainingModel.ts';

/** `model` holds the initial weights and is the staging model (its weights are overwritten; the caller disposes it). */
export function layersRunModel(model: tfl.LayersModel): RunModel {
  let net: tfl.LayersModel | null = null;
  return {
    initialSha: () => sha256Hex(canonicalJson(topologyOf(model)), new Uint8Array(flatWeights(model).buffer)),
    warnings: () => unseedableNoiseLayers(model).map((name) => `train: warning: layer ${name} draws its own random numbers; this run is not exactly reproducible`),
    get trainableParamCount() {
      return model.trainableWeights.reduce((a, w) => a + (w.shape as number[]).reduce((x, y) => x * y, 1), 0);
    },
    async trainingNet(loss) {
      net?.dispose();
      net = await buildTrainingNetwork(model, loss);
      return layersTrainableNet(net);
    },
    netSource: () => ({ format: 'layers', topology: topologyOf(model) }),
    stage(flat) {
      if (flat) setFlatWeights(model, flat);
      else model.setWeights(net!.getWeights());
    },
    network: () => model,
    recomputeBatchNorm: async (data, batchSize, workers) => (await recomputeBatchNormInPlace(model, data, { batchSize, workers })).length,
    batchNormWorkers: (data, workers) => BatchNormWorkers.forLayers(model, data, workers),
    save: (dir, sidecar) => saveCheckpoint(model, dir, sidecar, { overwrite: true }),
    files: () => modelFiles(model),
    async readFlatWeights(dir) {
      const ckpt = await loadLayers(dir);
      try {
        return flatWeights(ckpt.model);
      } finally {
        ckpt.model.dispose();
      }
    },
    dispose() {
      net?.dispose();
      net = null;
    },
  };
}
