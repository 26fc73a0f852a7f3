import { tf } from '../engine/tf.ts';
import type { Dataset } from '../io/dataset.ts';
import { asNetwork, type NetworkLike } from '../formats/layers/layersNetwork.ts';
import { forwardValues } from '../formats/Network.ts';
import { Loss, foldFor } from './losses.ts';
import { BnMode, type LossAndAccuracy } from './Objective.ts';
import { AUTO_BATCH_SIZE, resolveBatchSize, type BatchSize } from './objectiveDefaults.ts';

/** Model outputs over a dataset in the space an ensemble averages: probabilities for
 *  ce (softmax) and bce (sigmoid), raw outputs for mse. Row-major [n, units]. */
export interface Outputs {
  values: Float32Array;
  units: number;
}

export async function predictOutputs(
  model: NetworkLike,
  data: Dataset,
  loss: Loss,
  opts: { bn?: BnMode; batchSize?: BatchSize } = {},
): Promise<Outputs> {
  const net = await asNetwork(model).analysisNet(foldFor(loss));
  const batch = resolveBatchSize(opts.batchSize ?? AUTO_BATCH_SIZE, model);
  const training = opts.bn === BnMode.train;
  const per = data.sampleShape.reduce((a, b) => a * b, 1);
  let values: Float32Array | null = null;
  let units = 0;
  try {
    for (let start = 0; start < data.n; start += batch) {
      const size = Math.min(batch, data.n - start);
      const out = tf.tidy(() => {
        const x = tf.tensor(data.x.subarray(start * per, (start + size) * per), [size, ...data.sampleShape]);
        // values only: the faster inference pass where the network has one (as the objective's losses)
        const y = forwardValues(net, x, training);
        const logits = tf.reshape(y, [size, -1]);
        return loss === Loss.ce ? tf.softmax(logits) : loss === Loss.bce ? tf.sigmoid(logits) : logits;
      });
      if (!values) {
        units = out.shape[1]!;
        values = new Float32Array(data.n * units);
      }
      values.set(out.dataSync() as Float32Array, start * units);
      out.dispose();
    }
  } finally {
    net.dispose();
  }
  return { values: values!, units };
}

// Keras clips probabilities to [eps, 1 - eps] before logs.
const EPS = 1e-7;

/**
 * Loss and accuracy of averaged outputs (the FGE ensemble: predictions averaged in
 * probability space). ce: mean of -log p[y]; bce: mean over elements of the binary
 * cross-entropy; mse: mean squared error of the averaged outputs.
 */
export function scoreOutputs(outputs: Outputs, data: Dataset, loss: Loss): LossAndAccuracy {
  const { values: p, units: k } = outputs;
  const n = data.n;
  const t = data.targets;
  let total = 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    if (loss === Loss.ce && t.kind === 'classes') {
      const y = t.labels[i]!;
      total -= Math.log(Math.min(Math.max(p[i * k + y]!, EPS), 1 - EPS));
      let best = 0;
      for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
      if (best === y) hits++;
    } else {
      for (let c = 0; c < k; c++) {
        const target =
          t.kind === 'classes' ? (k === 1 ? t.labels[i]! : t.labels[i] === c ? 1 : 0) : t.values[i * t.dim + c]!;
        const q = p[i * k + c]!;
        if (loss === Loss.bce) {
          const qc = Math.min(Math.max(q, EPS), 1 - EPS);
          total -= (target * Math.log(qc) + (1 - target) * Math.log(1 - qc)) / k;
          if ((q > 0.5 ? 1 : 0) === target) hits += 1 / k;
        } else {
          total += (q - target) ** 2 / k;
        }
      }
    }
  }
  return { loss: total / n, accuracy: loss === Loss.mse ? null : hits / n };
}

/** Element-wise mean of several models' outputs. */
export function averageOutputs(all: readonly Outputs[]): Outputs {
  const first = all[0]!;
  const values = new Float32Array(first.values.length);
  for (const o of all) for (let i = 0; i < values.length; i++) values[i] += o.values[i]! / all.length;
  return { values, units: first.units };
}
