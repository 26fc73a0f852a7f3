import { tf, tfl } from '../engine/tf.ts';
import { InputError } from '../errors.ts';

function fmt(shape: readonly (number | null)[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Refuses checkpoints whose architectures differ (a line or plane through them would mix
 * unrelated weights): same layer classes in order, and the same weights in order, with the
 * same shapes and trainability. Weight and layer NAMES may differ (tfjs numbers layers per
 * process, so two runs of one architecture can save dense_Dense1 and dense_Dense3).
 */
export function checkSameArchitecture(models: readonly tfl.LayersModel[], labels: readonly string[]): void {
  const a = models[0]!;
  const la = labels[0]!;
  const classesA = a.layers.map((l) => l.getClassName());
  for (let k = 1; k < models.length; k++) {
    const b = models[k]!;
    const lb = labels[k]!;
    const refuse = (why: string): never => {
      throw new InputError(`landscape: ${lb} and ${la} have different architectures (${why}); a line or plane needs checkpoints of one architecture`);
    };
    const classesB = b.layers.map((l) => l.getClassName());
    if (classesA.length !== classesB.length) refuse(`${classesB.length} layers in ${lb}, ${classesA.length} in ${la}`);
    const layer = classesA.findIndex((c, i) => c !== classesB[i]);
    if (layer >= 0) refuse(`layer #${layer} is a ${classesB[layer]} in ${lb} but a ${classesA[layer]} in ${la}`);
    const wa = a.weights;
    const wb = b.weights;
    if (wa.length !== wb.length) refuse(`${wb.length} weights in ${lb}, ${wa.length} in ${la}`);
    wa.forEach((x, i) => {
      const y = wb[i]!;
      if (!tf.util.arraysEqual(x.shape as number[], y.shape as number[])) {
        refuse(`weight #${i} (${y.originalName}) has shape ${fmt(y.shape)} in ${lb} but ${fmt(x.shape)} in ${la}`);
      }
      if (x.trainable !== y.trainable) refuse(`weight #${i} (${y.originalName}) is ${y.trainable ? 'trainable' : 'not trainable'} in ${lb} but ${x.trainable ? 'trainable' : 'not trainable'} in ${la}`);
      if (x.dtype !== y.dtype) refuse(`weight #${i} (${y.originalName}) is ${y.dtype} in ${lb} but ${x.dtype} in ${la}`);
    });
  }
}
