import test from 'ava';
import {
  Backend,
  defaultLoader,
  describeEngine,
  initEngine,
  installHint,
  type ModuleLoader,
  type WebGpuStarter,
} from '../../src/engine/backend.ts';
import { adapterLabel, describeAdapter, mayHaveHardwareVulkan } from '../../src/engine/webgpu.ts';
import { EngineError, UsageError } from '../../src/errors.ts';

// initEngine switches tfjs's global backend, so these tests run one at a time.

/** A loader that finds no optional package and records what it was asked for. */
function nothingInstalled(): { load: ModuleLoader; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    load: async (name) => {
      asked.push(name);
      return false;
    },
  };
}

test.serial('cpu: the pure-JS backend', async (t) => {
  const info = await initEngine({ backend: Backend.cpu });
  t.is(info.requested, 'cpu');
  t.is(info.backend, 'cpu');
  t.is(info.device, 'cpu');
  t.regex(info.tfjsVersion, /^\d+\.\d+\.\d+$/);
});

test.serial('wasm: one thread under Node', async (t) => {
  const info = await initEngine({ backend: Backend.wasm });
  t.is(info.backend, 'wasm');
  t.is(info.device, 'wasm');
  t.is(info.threads, 1);
  t.is(describeEngine(info), `engine: wasm (1 thread), tfjs ${info.tfjsVersion}`);
});

test.serial('auto falls back to wasm when no native package is installed, trying the GPU one first', async (t) => {
  const { load, asked } = nothingInstalled();
  const asks: boolean[] = [];
  const noAdapter: WebGpuStarter = async ({ hardwareOnly }) => (asks.push(hardwareOnly), { reason: 'no GPU' });
  const info = await initEngine({ backend: Backend.auto }, load, noAdapter);
  t.is(info.requested, 'auto');
  t.is(info.backend, 'wasm');
  t.deepEqual(asked, ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
  t.deepEqual(asks, [true], 'auto asks for a hardware WebGPU adapter only');
  t.is(info.adapter, undefined);
});

test.serial('--backend webgpu that cannot start is an EngineError saying why', async (t) => {
  const starter: WebGpuStarter = async () => ({ reason: 'Dawn found no WebGPU adapter' });
  const e = await t.throwsAsync(initEngine({ backend: Backend.webgpu }, nothingInstalled().load, starter), { instanceOf: EngineError });
  t.is(e?.message, 'backend: --backend webgpu cannot start: Dawn found no WebGPU adapter');
  t.is(e?.exitCode, 3);
});

const LAVAPIPE = { info: { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1', isFallbackAdapter: true } };
const NVIDIA = { info: { vendor: 'nvidia', architecture: 'hopper', device: '0x2335', description: 'NVIDIA H200' } };

test('adapters: lavapipe is software, a GPU is not; the label names vendor, architecture and adapter', (t) => {
  const lvp = describeAdapter(LAVAPIPE);
  t.true(lvp.software);
  t.is(adapterLabel(lvp), 'mesa software: llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)');
  const gpu = describeAdapter(NVIDIA);
  t.false(gpu.software);
  t.is(adapterLabel(gpu), 'nvidia hopper: NVIDIA H200');
  // Named software even when it does not say it is a fallback adapter.
  t.true(describeAdapter({ info: { vendor: 'google', architecture: '', device: 'SwiftShader Device (Subzero)', description: '' } }).software);
});

test('engine line of a webgpu engine names the adapter', (t) => {
  const adapter = describeAdapter(NVIDIA);
  t.is(
    describeEngine({ requested: 'webgpu', backend: 'webgpu', device: 'webgpu', threads: 1, tfjsVersion: '4.22.0', adapter }),
    'engine: webgpu (nvidia hopper: NVIDIA H200), tfjs 4.22.0',
  );
});

test('a hardware Vulkan adapter needs a GPU device node and a Vulkan driver that is not a CPU one', (t) => {
  const fs = (files: Record<string, string[]>, nodes: string[] = []) =>
    [(p: string) => nodes.includes(p), (d: string) => files[d] ?? []] as const;
  t.false(mayHaveHardwareVulkan(...fs({ '/usr/share/vulkan/icd.d': ['lvp_icd.json', 'intel_icd.json'] })), 'no /dev/dri, no /dev/nvidiactl');
  t.false(mayHaveHardwareVulkan(...fs({ '/dev/dri': ['renderD128'], '/usr/share/vulkan/icd.d': ['lvp_icd.json'] })), 'only lavapipe');
  t.true(mayHaveHardwareVulkan(...fs({ '/dev/dri': ['card0', 'renderD128'], '/usr/share/vulkan/icd.d': ['lvp_icd.json', 'radeon_icd.json'] })));
  t.true(mayHaveHardwareVulkan(...fs({ '/etc/vulkan/icd.d': ['nvidia_icd.json'] }, ['/dev/nvidiactl'])));
  t.false(mayHaveHardwareVulkan(...fs({}, ['/dev/nvidiactl'])), 'an NVIDIA compute-only container has no Vulkan driver');
});

test.serial('auto takes a hardware WebGPU adapter before tfjs-node and wasm', async (t) => {
  const { load, asked } = nothingInstalled();
  // A stand-in that "starts" by switching to cpu, so no GPU is needed to test the choice.
  const gpu: WebGpuStarter = async ({ hardwareOnly }) => {
    t.true(hardwareOnly);
    const { tf } = await import('../../src/engine/tf.ts');
    await tf.setBackend('cpu');
    return describeAdapter(NVIDIA);
  };
  const info = await initEngine({ backend: Backend.auto }, load, gpu);
  t.deepEqual(asked, ['@tensorflow/tfjs-node-gpu'], 'tfjs-node is not tried once a GPU adapter is found');
  t.is(info.adapter?.description, 'NVIDIA H200');
});

test.serial('no options means auto', async (t) => {
  const info = await initEngine({}, nothingInstalled().load, async () => ({ reason: 'no GPU' }));
  t.is(info.requested, 'auto');
  t.is(info.backend, 'wasm');
});

for (const backend of [Backend.tensorflow, Backend.tensorflowGpu] as const) {
  const pkg = backend === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
  test.serial(`--backend ${backend} without ${pkg} says how to install it`, async (t) => {
    const e = await t.throwsAsync(initEngine({ backend }, nothingInstalled().load), { instanceOf: EngineError });
    t.is(e?.message, installHint(backend));
    t.true(e?.message.includes(`npm install ${pkg}@`), e?.message);
    t.is(e?.exitCode, 3);
    t.false(e?.message.includes('\n'));
  });
}

test('the GPU install hint names CUDA and cuDNN', (t) => {
  t.regex(installHint('tensorflow-gpu'), /CUDA 11\.2 and cuDNN 8/);
});

for (const threads of [0, 1.5, -2, Number.NaN]) {
  test.serial(`threads ${threads} is a usage error naming --threads and the value`, async (t) => {
    const e = await t.throwsAsync(initEngine({ backend: Backend.cpu, threads }), { instanceOf: UsageError });
    t.true(e?.message.includes('--threads'), e?.message);
    t.true(e?.message.endsWith(`got ${threads}`), e?.message);
    t.is(e?.exitCode, 2);
  });
}

test.serial('an unknown backend is a usage error listing the choices', async (t) => {
  const e = await t.throwsAsync(initEngine({ backend: 'gpu' as Backend }), { instanceOf: UsageError });
  t.regex(e?.message ?? '', /--backend must be one of auto, wasm, cpu, webgpu, tensorflow, tensorflow-gpu, got gpu/);
});

// A package that is installed but fails to load (a libtensorflow or CUDA mismatch):
// the default loader reports it instead of treating it as absent.
const BROKEN_MODULE = `data:text/javascript,throw new Error("libcudart.so.11.0: cannot open shared object file")`;

test.serial('a package that is installed but fails to load surfaces as EngineError', async (t) => {
  const load: ModuleLoader = () => defaultLoader(BROKEN_MODULE);
  const e = await t.throwsAsync(initEngine({ backend: Backend.tensorflow }, load), { instanceOf: EngineError });
  t.regex(e?.message ?? '', /failed to load: libcudart\.so\.11\.0: cannot open shared object file/);
  t.is(e?.exitCode, 3);
  t.truthy(e?.cause);
});

test('the default loader reports a missing package as not installed', async (t) => {
  t.false(await defaultLoader('@sharpness-test/no-such-package'));
});
