/**
 * How another thread builds the same training network as this one (the step workers of
 * --grad-chunk, stepWorkerMain.ts): plain data that crosses to a worker thread. A layers
 * model travels as its topology, an ONNX graph as its bytes; the weights travel apart (the
 * worker gets all of them once, then the trainable ones before every pass).
 */
import { tf, tfl } from '../engine/tf.ts';
import type { ModelJson } from '../formats/layers/analysisModel.ts';
import { createOnnxModel } from '../formats/onnx/loadOnnx.ts';
import { foldFor, type Loss } from '../objective/losses.ts';
import { layersTrainableNet } from './layersTrainableNet.ts';
import { onnxTrainableNet } from './onnxTrainableNet.ts';
import type { TrainableNet } from './TrainableNet.ts';
import { buildTrainingNetwork } from './trainingModel.ts';

export type TrainNetSource =
  /** The model's topology (as saved: the training network folds its output activation). */
  | { format: 'layers'; topology: ModelJson }
  /** The graph's bytes (external data inlined) and its file name, for messages. */
  | { format: 'onnx'; bytes: Uint8Array; file: string };

/** The training network `source` describes, for `loss`, with the weights its build gives (set them after). */
export async function trainableNetFrom(source: TrainNetSource, loss: Loss): Promise<{ net: TrainableNet; dispose(): void }> {
  if (source.format === 'layers') {
    const model = await tfl.models.modelFromJSON({ modelTopology: source.topology } as unknown as tf.io.ModelJSON);
    try {
      const net = await buildTrainingNetwork(model, loss);
      return { net: layersTrainableNet(net), dispose: () => net.dispose() };
    } finally {
      model.dispose();
    }
  }
  const m = createOnnxModel(source.bytes, source.file);
  const net = onnxTrainableNet(m, foldFor(loss));
  return {
    net,
    dispose: () => {
      net.dispose();
      m.dispose();
    },
  };
}
