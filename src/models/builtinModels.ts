/**
 * The built-in architectures (`--model mlp | cnn | resnet`), sized for 28x28x1 data and
 * adapting to the data's sample shape and class count. Each is a function
 * (inputShape, numClasses, seed) -> tfl.LayersModel with seeded weights and a final
 * Dense layer with softmax. Layers have fixed names, so two runs of one architecture have
 * the same weight names (and can be averaged by `sharpness swa`).
 */
import type { tfl } from '../engine/tf.ts';
import { cnn } from './cnn.ts';
import { mlp } from './mlp.ts';
import type { BuiltinModelOptions } from './modelOptions.ts';
import { resnet } from './resnet.ts';

export { mlp } from './mlp.ts';
export { cnn } from './cnn.ts';
export { resnet } from './resnet.ts';
export type { BuiltinModelOptions } from './modelOptions.ts';

export const BuiltinModel = { mlp: 'mlp', cnn: 'cnn', resnet: 'resnet' } as const;
export type BuiltinModel = (typeof BuiltinModel)[keyof typeof BuiltinModel];
export const BUILTIN_MODELS: readonly BuiltinModel[] = Object.values(BuiltinModel);
export function isBuiltinModel(x: unknown): x is BuiltinModel {
  return typeof x === 'string' && (BUILTIN_MODELS as readonly string[]).includes(x);
}

const BUILDERS: Record<BuiltinModel, (shape: readonly number[], k: number, seed: number, o?: BuiltinModelOptions) => tfl.LayersModel> = {
  mlp,
  cnn,
  resnet,
};

export function buildBuiltinModel(
  name: BuiltinModel,
  inputShape: readonly number[],
  numClasses: number,
  seed: number,
  options: BuiltinModelOptions = {},
): tfl.LayersModel {
  return BUILDERS[name](inputShape, numClasses, seed, options);
}
