/**
 * The --backend vocabulary, free of any tfjs import so that parsing options and
 * printing --help do not load TensorFlow.js.
 */
export const Backend = {
  auto: 'auto',
  wasm: 'wasm',
  cpu: 'cpu',
  webgpu: 'webgpu',
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

/** The packages the webgpu backend needs (dependencies of this package, so normally present). */
export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const;
/** The version of `webgpu` (Dawn for Node) the webgpu backend was checked with. */
export const DAWN_NODE_VERSION = '0.6.2';

/** How to install the webgpu backend's packages. */
export function webgpuInstallCommand(tfjsVersion: string): string {
  return `npm install webgpu@${DAWN_NODE_VERSION} @tensorflow/tfjs-backend-webgpu@${tfjsVersion}`;
}
