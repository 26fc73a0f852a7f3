import { tf, type Tensor } from '../../engine/tf.ts';
import { CheckpointFormat, type AnalysisNet, type Fold, type Network } from '../Network.ts';
import type { OnnxModel } from './OnnxModel.ts';

/**
 * An ONNX graph seen as a Network. The analysis copy holds the parameters as variables
 * and the BatchNorm running statistics as constants; the graph itself is shared and
 * never changed. A final Softmax or LogSoftmax is folded for cross-entropy (both give
 * the same loss from their input), a final Sigmoid for binary cross-entropy.
 */
export function onnxNetwork(m: OnnxModel): Network {
  const folds = (fold: Fold): boolean =>
    (fold === 'softmax' && (m.finalActivation === 'softmax' || m.finalActivation === 'logsoftmax')) ||
    (fold === 'sigmoid' && m.finalActivation === 'sigmoid');
  return {
    format: CheckpointFormat.onnx,
    inputShape: m.inputShape.slice(1),
    outputShape: m.outputShape.slice(1),
    largestActivation: m.largestActivationPerSample,
    async analysisNet(fold: Fold): Promise<AnalysisNet> {
      const vars = m.params.map((p) => tf.variable(tf.tensor(m.initialValue(p.name), p.shape, 'float32'), true, undefined, 'float32'));
      const state = m.state.map((s) => tf.tensor(m.initialValue(s.name), s.shape, 'float32'));
      const skipFinal = folds(fold);
      return {
        vars,
        names: m.params.map((p) => p.name),
        folded: skipFinal ? fold : null,
        apply: (x: Tensor, training: boolean) => m.forward(x, vars, state, { training, skipFinal }),
        dispose: () => tf.dispose([...vars, ...state]),
      };
    },
  };
}
