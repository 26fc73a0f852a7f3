import { tf, type Tensor } from '../../engine/tf.ts';
import { CheckpointFormat, type AnalysisNet, type Fold, type Network } from '../Network.ts';
import type { OnnxModel } from './OnnxModel.ts';

/**
 * An ONNX graph seen as a Network. The analysis copy holds the parameters as variables
 * and the BatchNorm running statistics as constants; the graph itself is shared and
 * never changed. A final Softmax or LogSoftmax is folded for cross-entropy (both give
 * the same loss from their input), a final Sigmoid for binary cross-entropy.
 */
/** Whether the graph ends with the activation `fold` removes (so forward runs with skipFinal). */
export function foldsFinal(m: OnnxModel, fold: Fold): boolean {
  return (fold === 'softmax' && (m.finalActivation === 'softmax' || m.finalActivation === 'logsoftmax')) || (fold === 'sigmoid' && m.finalActivation === 'sigmoid');
}

/**
 * `valueOf` gives the parameter and state values the network holds (default: the graph's
 * own initializers; training passes the weights it has reached).
 */
export function onnxNetwork(m: OnnxModel, valueOf: (name: string) => Float32Array = (n) => m.initialValue(n)): Network {
  const folds = (fold: Fold): boolean => foldsFinal(m, fold);
  return {
    format: CheckpointFormat.onnx,
    inputShape: m.inputShape.slice(1),
    outputShape: m.outputShape.slice(1),
    largestActivation: m.largestActivationPerSample,
    outputActivation: m.finalActivation === 'logsoftmax' ? 'softmax' : m.finalActivation,
    paramNames: m.params.map((p) => p.name),
    stateNames: m.state.map((p) => p.name),
    hasBatchNorm: m.state.length > 0,
    weights: () => ({
      trainable: m.params.map((p) => tf.tensor(valueOf(p.name), p.shape, 'float32')),
      other: m.state.map((p) => tf.tensor(valueOf(p.name), p.shape, 'float32')),
    }),
    architecture: () => [
      ...Object.entries(m.opCounts).map(([op, n]) => `op ${op} x${n}`),
      ...m.params.map((p) => `parameter [${p.shape.join(',')}]`),
      ...m.state.map((p) => `state [${p.shape.join(',')}]`),
    ],
    async analysisNet(fold: Fold): Promise<AnalysisNet> {
      // tidy frees the initial tensors; variables survive it
      const vars = m.params.map((p) => tf.tidy(() => tf.variable(tf.tensor(valueOf(p.name), p.shape, 'float32'), true, undefined, 'float32')));
      const state = m.state.map((s) => tf.tidy(() => tf.variable(tf.tensor(valueOf(s.name), s.shape, 'float32'), false, undefined, 'float32')));
      const skipFinal = folds(fold);
      return {
        vars,
        names: m.params.map((p) => p.name),
        folded: skipFinal ? fold : null,
        state,
        apply: (x: Tensor, training: boolean) => m.forward(x, vars, state, { training, skipFinal }),
        infer: (x: Tensor) => m.forward(x, vars, state, { training: false, skipFinal, fuse: true }),
        dispose: () => tf.dispose([...vars, ...state]),
      };
    },
  };
}
