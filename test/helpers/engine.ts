import type { TestFn } from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { initEngine, type Backend, type EngineInfo } from '../../src/engine/backend.ts';

/**
 * Switches the whole process to a backend (tests run serially within a file). On webgpu,
 * tfjs would run kernels on the CPU when their inputs are small and already there
 * (WEBGPU_CPU_FORWARD); tests turn that off so that the GPU kernels are the ones checked.
 */
export async function useBackend(backend: Extract<Backend, 'cpu' | 'wasm' | 'webgpu'>): Promise<EngineInfo> {
  const info = await initEngine({ backend });
  if (tf.getBackend() !== backend) throw new Error(`test setup: wanted ${backend}, got ${tf.getBackend()}`);
  if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  return info;
}

let webgpu: Promise<{ available: true; info: EngineInfo } | { available: false; reason: string }> | null = null;

/**
 * Whether --backend webgpu starts here (once per process; leaves the cpu backend current).
 * Without a GPU it needs Mesa's lavapipe (.ci/run installs it), so in CI (CI=true) an
 * unavailable webgpu is a failure, and elsewhere a skip that prints why.
 */
export function webgpuStatus(): Promise<{ available: true; info: EngineInfo } | { available: false; reason: string }> {
  webgpu ??= (async () => {
    try {
      const info = await useBackend('webgpu');
      await initEngine({ backend: 'cpu' });
      return { available: true as const, info };
    } catch (e) {
      await initEngine({ backend: 'cpu' });
      return { available: false as const, reason: (e as Error).message };
    }
  })();
  return webgpu;
}

/** The backends the derivative suites run on: cpu, and webgpu where it starts (see webgpuStatus). */
export async function derivativeBackends(test: TestFn): Promise<Extract<Backend, 'cpu' | 'webgpu'>[]> {
  const status = await webgpuStatus();
  if (status.available) return ['cpu', 'webgpu'];
  if (process.env['CI'] === 'true') {
    test(`webgpu starts in CI (.ci/run installs Mesa's lavapipe)`, (t) => t.fail(status.reason));
  } else {
    console.log(`webgpu derivative tests skipped: ${status.reason}`);
    test.skip(`webgpu: ${status.reason}`, (t) => t.pass());
  }
  return ['cpu'];
}
