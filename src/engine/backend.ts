import { cpus } from 'node:os';
import { tf } from './tf.ts';
import { EngineError, UsageError } from '../errors.ts';
import { installSecondOrderGradients } from './secondOrderGradients.ts';
import { installWasmKernels } from './wasmKernels.ts';
import { ensureWasmFastKernels } from './wasmFastKernels.ts';
import { installUnfusedGradientMode } from './unfusedGradientMode.ts';
import { adapterLabel, useWebGpu, type AdapterInfo, type WebGpuUnavailable } from './webgpu.ts';

export { Backend, BACKENDS, isBackend, NATIVE_BACKEND_PACKAGE, WEBGPU_PACKAGES } from './backendNames.ts';
export type { AdapterInfo } from './webgpu.ts';
import { Backend, BACKENDS, isBackend, NATIVE_BACKEND_PACKAGE, type NativeBackend } from './backendNames.ts';

/** What was actually chosen; recorded in every result file. */
export interface EngineInfo {
  requested: Backend;
  /** The tfjs backend name in use: 'wasm', 'cpu', 'webgpu' or 'tensorflow'. */
  backend: string;
  /** 'tensorflow-gpu' when tfjs-node-gpu runs on a GPU, else the same as backend. */
  device: string;
  threads: number;
  tfjsVersion: string;
  /** webgpu only: the adapter it runs on (software: a CPU Vulkan driver such as lavapipe). */
  adapter?: AdapterInfo;
}

/** Starts the webgpu backend (hardware adapters only, or any); injected in tests. */
export type WebGpuStarter = (opts: { hardwareOnly: boolean }) => Promise<AdapterInfo | WebGpuUnavailable>;

/** Imports an optional package; returns false when it is not installed. Injected in tests. */
export type ModuleLoader = (name: string) => Promise<boolean>;

export const defaultLoader: ModuleLoader = async (name) => {
  try {
    await import(name);
    return true;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return false;
    // Installed but broken (e.g. a libtensorflow / CUDA mismatch): say so, do not hide it.
    throw new EngineError(`backend: ${name} is installed but failed to load: ${(e as Error).message.split('\n')[0]}`, {
      cause: e,
    });
  }
};

export function installHint(backend: NativeBackend): string {
  const pkg = NATIVE_BACKEND_PACKAGE[backend];
  const extra = backend === 'tensorflow-gpu' ? ' (needs CUDA 11.2 and cuDNN 8 on a Linux x86_64 machine)' : '';
  return `backend: --backend ${backend} needs ${pkg}, which is not installed; run \`npm install ${pkg}@${tf.version_core}\`${extra}, or use --backend wasm`;
}

/** Whether tfjs-node-gpu actually placed its kernels on a GPU (it silently falls back to CPU). */
function nodeBackendUsesGpu(): boolean {
  const b = tf.backend() as unknown as { isUsingGpuDevice?: () => boolean; binding?: { isUsingGpuDevice?: () => boolean } };
  try {
    return Boolean(b.isUsingGpuDevice?.() ?? b.binding?.isUsingGpuDevice?.());
  } catch {
    return false;
  }
}

export function validateThreads(threads: number | undefined): void {
  if (threads === undefined) return;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UsageError(`--threads must be an integer >= 1, got ${threads}`);
  }
}

async function useNodeBackend(kind: NativeBackend, load: ModuleLoader): Promise<boolean> {
  let present: boolean;
  try {
    present = await load(NATIVE_BACKEND_PACKAGE[kind]);
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(`backend: ${NATIVE_BACKEND_PACKAGE[kind]} failed to load: ${String((e as Error).message ?? e).split('\n')[0]}`, { cause: e });
  }
  if (!present) return false;
  await tf.setBackend('tensorflow');
  await tf.ready();
  return true;
}

async function useWasm(threads: number | undefined): Promise<number> {
  // tfjs-backend-wasm turns its threaded build off under Node; --threads N > 1 opts in to
  // our workaround (engine/wasmThreads.ts: real worker files instead of blob: URLs).
  if (threads !== undefined && threads > 1) {
    const { enableWasmThreads } = await import('./wasmThreads.ts');
    return enableWasmThreads(threads);
  }
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new EngineError('backend: the wasm backend failed to initialise');
  await tf.ready();
  return 1;
}

let installed = false;
/** Registers the gradient and kernel fixes once per process (idempotent). */
export function installEngineFixes(): void {
  if (installed) return;
  installSecondOrderGradients();
  installWasmKernels();
  installed = true;
}

/**
 * Chooses and initialises the engine. `auto` prefers a GPU: tfjs-node-gpu when it runs on
 * one, else a hardware WebGPU adapter (never a software one); then tfjs-node (or
 * tfjs-node-gpu on the CPU), then wasm. A backend asked for by name that is not installed
 * or cannot start is an error that says why.
 */
export async function initEngine(
  opts: { backend?: Backend; threads?: number } = {},
  load: ModuleLoader = defaultLoader,
  startWebGpu: WebGpuStarter = useWebGpu,
): Promise<EngineInfo> {
  const requested = opts.backend ?? Backend.auto;
  if (!isBackend(requested)) {
    throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got ${String(requested)}`);
  }
  validateThreads(opts.threads);
  // Silences tfjs's console banners ("install our node backend"); we report the backend ourselves.
  tf.env().set('PROD', true);
  installEngineFixes();

  let device: string | undefined;
  let adapter: AdapterInfo | undefined;
  let threads = 1;
  switch (requested) {
    case Backend.tensorflowGpu:
      if (!(await useNodeBackend('tensorflow-gpu', load))) throw new EngineError(installHint('tensorflow-gpu'));
      device = nodeBackendUsesGpu() ? 'tensorflow-gpu' : 'tensorflow';
      break;
    case Backend.tensorflow:
      if (!(await useNodeBackend('tensorflow', load))) throw new EngineError(installHint('tensorflow'));
      break;
    case Backend.cpu:
      await tf.setBackend('cpu');
      await tf.ready();
      break;
    case Backend.wasm:
      threads = await useWasm(opts.threads);
      break;
    case Backend.webgpu: {
      const started = await startWebGpu({ hardwareOnly: false });
      if ('reason' in started) throw new EngineError(`backend: --backend webgpu cannot start: ${started.reason}`);
      adapter = started;
      break;
    }
    case Backend.auto: {
      const nodeGpu = await useNodeBackend('tensorflow-gpu', load);
      if (nodeGpu && nodeBackendUsesGpu()) {
        device = 'tensorflow-gpu';
        break;
      }
      const started = await startWebGpu({ hardwareOnly: true });
      if (!('reason' in started)) adapter = started;
      else if (nodeGpu) await tf.setBackend('tensorflow');
      else if (!(await useNodeBackend('tensorflow', load))) threads = await useWasm(opts.threads);
      break;
    }
  }
  // After the backend is loaded: the wasm package's own registrations are final by then.
  ensureWasmFastKernels();
  installUnfusedGradientMode();
  const backend = tf.getBackend();
  if (backend === 'tensorflow') threads = opts.threads ?? cpus().length;
  current = { requested, backend, device: device ?? backend, threads, tfjsVersion: tf.version_core };
  if (adapter) current.adapter = adapter;
  return current;
}

let current: EngineInfo | null = null;
/** The engine initEngine started last in this thread. */
export function currentEngineInfo(): EngineInfo {
  if (!current) throw new EngineError('engine: not started (initEngine must run first)');
  return current;
}

/**
 * One line for stderr, e.g. "engine: wasm (1 thread), tfjs 4.22.0", or for webgpu the
 * adapter: "engine: webgpu (mesa software: llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)), tfjs 4.22.0".
 */
export function describeEngine(info: EngineInfo): string {
  if (info.adapter) return `engine: ${info.device} (${adapterLabel(info.adapter)}), tfjs ${info.tfjsVersion}`;
  return `engine: ${info.device} (${info.threads} thread${info.threads === 1 ? '' : 's'}), tfjs ${info.tfjsVersion}`;
}
