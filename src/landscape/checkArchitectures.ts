import { tf, tfl } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import type { Network } from '../formats/Network.ts';

/** Any format: the same weights (kinds, shapes, trainability) and ops, in order. */
function checkSameNetworks(networks: readonly Network[], labels: readonly string[]): void {
  const a = networks[0]!.architecture();
  for (let k = 1; k < networks.length; k++) {
    const b = networks[k]!.architecture();
    const i = a.findIndex((x, j) => x !== b[j]);
    if (a.length !== b.length || i >= 0) {
      const at = i >= 0 ? i : Math.min(a.length, b.length);
      throw new InputError(
        `landscape: ${labels[k]} and ${labels[0]} have different architectures (entry #${at}: ${b[at] ?? 'nothing'} in ${labels[k]}, ${a[at] ?? 'nothing'} in ${labels[0]}); a line or plane needs checkpoints of one architecture`,
      );
    }
  }
}

function fmt(shape: readonly (number | null)[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Refuses checkpoints whose architectures differ (a line or plane through them would mix
 * unrelated weights): same layer classes in order, and the same weights in order, with the
 * same shapes and trainability. Weight and layer NAMES may differ (tfjs numbers layers per
 * process, so two runs of one architecture can save dense_Dense1 and dense_Dense3).
 */
export function checkSameArchitecture(checkpoints: readonly { network: Network; model?: tfl.LayersModel }[], labels: readonly string[]): void {
  const models = checkpoints.map((c) => c.model);
  if (!models.every((m): m is tfl.LayersModel => m !== undefined)) {
    checkSameNetworks(checkpoints.map((c) => c.network), labels);
    return;
  }
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
