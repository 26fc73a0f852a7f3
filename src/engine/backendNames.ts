/**
 * The --backend vocabulary, free of any tfjs import so that parsing options and
 * printing --help do not load TensorFlow.js.
 */
export const Backend = {
  auto: 'auto',
  wasm: 'wasm',
  cpu: 'cpu',
  tensorflow: 'tensorflow',
  tensorflowGpu: 'tensorflow-gpu',
} as const;
export type Backend = (typeof Backend)[keyof typeof Backend];
export const BACKENDS: readonly Backend[] = Object.values(Backend);
export function isBackend(x: unknown): x is Backend {
  return typeof x === 'string' && (BACKENDS as readonly string[]).includes(x);
}

/** The optional npm package each native backend needs. */
export const NATIVE_BACKEND_PACKAGE = {
  [Backend.tensorflow]: '@tensorflow/tfjs-node',
  [Backend.tensorflowGpu]: '@tensorflow/tfjs-node-gpu',
} as const;
export type NativeBackend = keyof typeof NATIVE_BACKEND_PACKAGE;
