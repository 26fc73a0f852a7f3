import { Backend } from '../engine/backendNames.ts';
import type { EngineInfo } from '../engine/backend.ts';

/** The --backend a worker thread starts to get the engine this thread runs. */
export function workerBackend(engine: EngineInfo): Backend {
  if (engine.device === 'tensorflow-gpu') return Backend.tensorflowGpu;
  if (engine.backend === 'tensorflow') return Backend.tensorflow;
  return engine.backend === 'cpu' ? Backend.cpu : Backend.wasm;
}
