/**
 * One worker thread of the pool (see WorkerPool.ts): starts its own engine, opens the job
 * from its description (on the main thread's data, shared), then computes the items it is sent, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initEngine } from '../engine/backend.ts';
import type { ItemJob, WorkerJobModule } from './ItemJob.ts';
import { receiveDatasets } from './poolDatasets.ts';
import { serializeError, type FromWorker, type ToWorker, type WorkerInit } from './workerMessages.ts';

const port = parentPort!;
const init = workerData as WorkerInit;
let job: Pick<ItemJob<unknown>, 'compute' | 'dispose'> | null = null;

const post = (m: FromWorker) => port.postMessage(m);

try {
  await initEngine(init.engine);
  // The main thread's data, in shared memory: the job's opener takes it instead of loading it.
  receiveDatasets(init.datasets);
  const module = (await import(init.module)) as WorkerJobModule;
  job = await module.openJob(init.description);
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', error: serializeError(e) });
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'close') {
    job?.dispose();
    job = null;
    port.close();
    return;
  }
  void (async () => {
    try {
      const record = await job!.compute(m.i);
      post({ type: 'record', i: m.i, record });
    } catch (e) {
      post({ type: 'error', error: serializeError(e), i: m.i });
    }
  })();
});
