/**
 * The WebGPU engine under Node: Dawn from the `webgpu` package provides `navigator.gpu`,
 * @tensorflow/tfjs-backend-webgpu runs on it. On a machine without a GPU Dawn can still run
 * on a software Vulkan driver (Mesa's lavapipe): correct, slow, for tests only, so `auto`
 * asks for a hardware adapter and an explicit `--backend webgpu` takes any adapter.
 * Facts this relies on are in docs/engine-webgpu.md.
 */
import { existsSync, readdirSync } from 'node:fs';
import { tf } from './tf.ts';
import { adapterLabel, type AdapterInfo } from './adapterLabel.ts';
import { WEBGPU_PACKAGES, webgpuInstallCommand } from './backendNames.ts';
import { installWebGpuKernels } from './webgpuKernels.ts';
import { installSyncRead, RemoteBuffer, RemoteTexture, startRemoteAdapter } from './webgpuRemote.ts';

/** What the adapter says about itself; recorded in EngineInfo and printed on the engine line. */
export type { AdapterInfo } from './adapterLabel.ts';
export { adapterLabel } from './adapterLabel.ts';

/** The part of the WebGPU API used here (kept local, like wasmKernels' view of the wasm backend). */
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
}

/** Where a WebGPU engine could not be started: why, in a phrase that completes "webgpu: ...". */
export interface WebGpuUnavailable {
  reason: string;
}

const SOFTWARE_NAME = /llvmpipe|lavapipe|swiftshader|software/i;

/** Classifies an adapter from what it reports; exported for tests. */
export function describeAdapter(adapter: GpuAdapterLike): AdapterInfo {
  const info = adapter.info ?? {};
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const software =
    Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) ||
    architecture === 'software' ||
    SOFTWARE_NAME.test(`${device} ${description}`);
  return { vendor, architecture, device, description, software };
}


/** Vulkan driver manifests of CPU implementations: hidden from the loader when only hardware is wanted. */
const SOFTWARE_VULKAN_DRIVERS = '*lvp_icd*,*swiftshader*';
const VULKAN_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/**
 * Linux only: whether a hardware Vulkan adapter can exist at all (a GPU device node and a
 * Vulkan driver that is not a CPU one). Probing Dawn where none can costs 50-150 ms and
 * makes the Vulkan loader print errors on stderr, so `auto` looks first.
 */
export function mayHaveHardwareVulkan(exists: (p: string) => boolean = existsSync, list: (d: string) => string[] = safeList): boolean {
  const deviceNode = list('/dev/dri').some((f) => f.startsWith('renderD')) || exists('/dev/nvidiactl');
  if (!deviceNode) return false;
  if (process.env['VK_ICD_FILENAMES'] || process.env['VK_DRIVER_FILES']) return true;
  return VULKAN_ICD_DIRS.some((d) => list(d).some((f) => f.endsWith('.json') && !/lvp|swiftshader/i.test(f)));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Whether a package resolves from here (the device thread imports `webgpu` itself). */
function missingPackage(): WebGpuUnavailable | null {
  for (const name of WEBGPU_PACKAGES) {
    try {
      import.meta.resolve(name);
    } catch {
      return { reason: `${name} is not installed; run \`${webgpuInstallCommand(tf.version_core)}\`` };
    }
  }
  return null;
}

/** Runs `fn` with the Vulkan loader told to skip CPU drivers; the environment is restored after. */
async function withoutSoftwareVulkan<T>(fn: () => Promise<T>): Promise<T> {
  const key = 'VK_LOADER_DRIVERS_DISABLE';
  const before = process.env[key];
  process.env[key] = before ? `${before},${SOFTWARE_VULKAN_DRIVERS}` : SOFTWARE_VULKAN_DRIVERS;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env[key];
    else process.env[key] = before;
  }
}

/** Makes `navigator.gpu` the given object (Node 21+ has a navigator of its own; Node 20 none). */
function installNavigatorGpu(gpu: unknown): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator == null) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
}

/** WebGPU's flag constants (GPUBufferUsage, GPUMapMode...), which tfjs reads from globalThis. */
const GPU_FLAGS = {
  GPUBufferUsage: { MAP_READ: 0x1, MAP_WRITE: 0x2, COPY_SRC: 0x4, COPY_DST: 0x8, INDEX: 0x10, VERTEX: 0x20, UNIFORM: 0x40, STORAGE: 0x80, INDIRECT: 0x100, QUERY_RESOLVE: 0x200 },
  GPUMapMode: { READ: 0x1, WRITE: 0x2 },
  GPUTextureUsage: { COPY_SRC: 0x1, COPY_DST: 0x2, TEXTURE_BINDING: 0x4, STORAGE_BINDING: 0x8, RENDER_ATTACHMENT: 0x10 },
  GPUShaderStage: { VERTEX: 0x1, FRAGMENT: 0x2, COMPUTE: 0x4 },
};

let started: AdapterInfo | null = null;

/**
 * Starts tfjs's webgpu backend on one adapter and makes it the current backend. With
 * `hardwareOnly`, software adapters are refused (and on Linux not even enumerated). Returns
 * the adapter, or why there is none. Once started, later calls switch back to the same
 * backend (a tfjs backend is created once per process).
 */
export async function useWebGpu(opts: { hardwareOnly: boolean }): Promise<AdapterInfo | WebGpuUnavailable> {
  if (started) {
    if (opts.hardwareOnly && started.software) return { reason: `the adapter in use is a software one (${adapterLabel(started)})` };
    await tf.setBackend('webgpu');
    await tf.ready();
    return started;
  }
  if (opts.hardwareOnly && process.platform === 'linux' && !mayHaveHardwareVulkan()) {
    return { reason: 'no GPU device node with a hardware Vulkan driver' };
  }
  const missing = missingPackage();
  if (missing) return missing;
  const remote = opts.hardwareOnly && process.platform === 'linux' ? await withoutSoftwareVulkan(startRemoteAdapter) : await startRemoteAdapter();
  if (remote === null) {
    return { reason: 'Dawn found no WebGPU adapter (on Linux without a GPU, install Mesa >= 23 lavapipe: docs/engine-webgpu.md)' };
  }
  const info = describeAdapter(remote.report);
  if (opts.hardwareOnly && info.software) return { reason: `only a software adapter (${adapterLabel(info)})` };
  // tfjs tells buffers from textures with instanceof GPUBuffer / GPUTexture.
  const classes = { ...GPU_FLAGS, GPUBuffer: RemoteBuffer, GPUTexture: RemoteTexture };
  for (const [k, v] of Object.entries(classes)) if (!(k in globalThis)) Object.assign(globalThis, { [k]: v });
  // tfjs asks navigator.gpu for an adapter when the backend is first set: the remote one.
  installNavigatorGpu(remote.gpu);
  await import('@tensorflow/tfjs-backend-webgpu');
  installWebGpuKernels();
  if (!(await tf.setBackend('webgpu'))) return { reason: 'tfjs-backend-webgpu failed to initialise on the adapter' };
  await tf.ready();
  installSyncRead(tf.backend());
  started = info;
  return info;
}
