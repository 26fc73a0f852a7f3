import { Backend } from '../engine/backendNames.ts';
import type { EngineInfo } from '../engine/backend.ts';

/** The --backend a worker thread starts to get the engine this thread runs. */
export function workerBackend(engine: EngineInfo): Backend {
  if (engine.device === 'tensorflow-gpu') return Backend.tensorflowGpu;
  if (engine.backend === 'tensorflow') return Backend.tensorflow;
  return engine.backend === 'cpu' ? Backend.cpu : Backend.wasm;
}

/** Engines whose worker threads run their own copy of the engine on shared data (wasm, cpu), with the same values. */
export function usesWorkerThreads(engine: EngineInfo): boolean {
  return engine.backend === 'wasm' || engine.backend === 'cpu';
}

/** The engine options a worker thread starts with to run the engine this thread runs. */
export function workerEngine(engine: EngineInfo): { backend: Backend; threads?: number } {
  return { backend: workerBackend(engine), ...(engine.threads > 1 ? { threads: engine.threads } : {}) };
}
