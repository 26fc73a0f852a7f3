import { tf } from '../../src/engine/tf.ts';
import { initEngine, type Backend, type EngineInfo } from '../../src/engine/backend.ts';

/** Switches the whole process to a backend (tests run serially within a file). */
export async function useBackend(backend: Extract<Backend, 'cpu' | 'wasm'>): Promise<EngineInfo> {
  const info = await initEngine({ backend });
  if (tf.getBackend() !== backend) throw new Error(`test setup: wanted ${backend}, got ${tf.getBackend()}`);
  return info;
}
