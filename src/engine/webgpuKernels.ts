/**
 * Kernels that tfjs-backend-webgpu 4.22 gets wrong, replaced through tfjs's public kernel
 * registry (as wasmKernels.ts does for wasm). Measured on the engine's second-order suite
 * (docs/engine-webgpu.md); every other kernel the suite reaches agreed with cpu to 1e-6.
 *
 * - AddN: one shader binds every input plus the output as storage buffers, with no check
 *   against the device's maxStorageBuffersPerShaderStage, so adding more tensors than that
 *   fails validation (a gradient that accumulates a tensor used by 8 layers, e.g. a residual
 *   block's input, on a device with the default limit of 8). Ours adds in chunks that fit.
 */
import { tf } from './tf.ts';

type KernelArgs = Parameters<tf.KernelFunc>[0];

const WEBGPU = 'webgpu';

interface WebGpuBackend {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

let original: tf.KernelFunc | null = null;

function addN(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as unknown as WebGpuBackend;
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  // One storage buffer is the output's.
  const max = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
  const run = (xs: tf.TensorInfo[]) => original!({ ...args, inputs: xs as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
  if (inputs.length <= max) return run(inputs);
  const partial: tf.TensorInfo[] = [];
  for (let i = 0; i < inputs.length; i += max) {
    const chunk = inputs.slice(i, i + max);
    partial.push(chunk.length === 1 ? chunk[0]! : run(chunk));
  }
  const out = addN({ ...args, inputs: partial as unknown as tf.NamedTensorInfoMap });
  for (const p of partial) if (!inputs.includes(p)) backend.disposeData(p.dataId);
  return out;
}

/**
 * Registers the replacements for the 'webgpu' backend; idempotent. Call after
 * '@tensorflow/tfjs-backend-webgpu' is imported (it registers its own kernels on import).
 */
export function installWebGpuKernels(): void {
  const current = tf.getKernel('AddN', WEBGPU);
  if (current == null || current.kernelFunc === addN) return;
  original = current.kernelFunc;
  tf.unregisterKernel('AddN', WEBGPU);
  tf.registerKernel({ kernelName: 'AddN', backendName: WEBGPU, kernelFunc: addN as tf.KernelFunc });
}
