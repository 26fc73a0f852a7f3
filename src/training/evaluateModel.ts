/**
 * Scores of a model on a data set, as `sharpness evaluate` computes them (the full-data
 * objective, BatchNorm in inference mode, dropout off, no L2 term), and of an ensemble of
 * models (predictions averaged in probability space, as `evaluate --ensemble`).
 */
import type { Dataset } from '../io/dataset.ts';
import type { NetworkLike } from '../formats/layers/layersNetwork.ts';
import type { Loss } from '../objective/losses.ts';
import { createModelObjective } from '../objective/modelObjective.ts';
import type { LossAndAccuracy } from '../objective/Objective.ts';
import { predictOutputs, scoreOutputs, type Outputs } from '../objective/predictions.ts';

export const EVAL_CHUNK = 1000;

export async function scoreModel(model: NetworkLike, data: Dataset, loss: Loss): Promise<LossAndAccuracy> {
  const o = await createModelObjective(model, data, { loss, batchSize: EVAL_CHUNK });
  try {
    return o.lossAndAccuracy(o.params);
  } finally {
    o.dispose();
  }
}

/** The running sum of ensemble members' outputs on one data set (FGE). */
export class EnsembleScore {
  private sum: Float64Array | null = null;
  private unitCount = 0;
  members = 0;

  constructor(
    readonly data: Dataset,
    readonly loss: Loss,
  ) {}

  async add(model: NetworkLike): Promise<void> {
    this.addOutputs(await predictOutputs(model, this.data, this.loss, { batchSize: EVAL_CHUNK }));
  }

  addOutputs(o: Outputs): void {
    if (!this.sum) {
      this.sum = new Float64Array(o.values.length);
      this.unitCount = o.units;
    }
    for (let i = 0; i < o.values.length; i++) this.sum[i] = this.sum[i]! + o.values[i]!;
    this.members++;
  }

  /** The mean of the members' outputs. */
  mean(): Outputs | null {
    if (!this.sum || this.members === 0) return null;
    const values = new Float32Array(this.sum.length);
    for (let i = 0; i < values.length; i++) values[i] = this.sum[i]! / this.members;
    return { values, units: this.unitCount };
  }

  score(): LossAndAccuracy | null {
    const m = this.mean();
    return m ? scoreOutputs(m, this.data, this.loss) : null;
  }
}
