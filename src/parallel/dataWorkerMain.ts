/**
 * One worker thread of a data-parallel objective (DataParallelObjective.ts): starts its own
 * engine, loads its own copy of the network, holds its share of the chunks (c % count ===
 * index) of the shared dataset, and for each request evaluates them at the point and
 * direction the main thread wrote into shared memory, posting one result per chunk.
 */
import { workerData } from 'node:worker_threads';
import { initEngine } from '../engine/backend.ts';
import * as pv from '../engine/paramVector.ts';
import { loadCheckpoint } from '../formats/loadCheckpoint.ts';
import { openChunkedModel, type ChunkedModel } from '../objective/modelObjective.ts';
import { serializeError } from './workerMessages.ts';
import { syncReply } from './SyncWorkers.ts';
import { DataOp, type DataWorkerInit, type FromDataWorker, type ToDataWorker } from './dataWorkerMessages.ts';

const init = workerData as DataWorkerInit;
const port = init.port;
const inputs = new Float32Array(init.inputs);
const post: (m: FromDataWorker, transfer?: ArrayBuffer[]) => void = syncReply(init);

let model: ChunkedModel | null = null;
let release = () => {};
try {
  await initEngine(init.engine);
  const checkpoint = await loadCheckpoint(init.checkpoint);
  release = () => checkpoint.dispose();
  model = await openChunkedModel(checkpoint.network, init.data, { ...init.objective, ownChunks: (c) => c % init.count === init.index });
  post({ type: 'ready', dimension: model.dimension, chunks: model.chunkSizes.length });
} catch (e) {
  post({ type: 'error', id: 0, error: serializeError(e) });
}

function serve(m: ChunkedModel, id: number, op: DataOp, base: boolean): void {
  const d = m.dimension;
  const w = base ? m.params : pv.unflatten(inputs.subarray(0, d), m.shapes);
  const v = op === DataOp.hvp ? pv.unflatten(inputs.subarray(d, 2 * d), m.shapes) : null;
  try {
    m.at(w, () => {
      for (let c = init.index; c < m.chunkSizes.length; c += init.count) {
        switch (op) {
          case DataOp.loss:
            post({ type: 'chunk', id, c, value: m.chunkLoss(c), correct: null, data: null });
            break;
          case DataOp.lossAndCorrect: {
            const r = m.chunkLossAndCorrect(c);
            post({ type: 'chunk', id, c, value: r.loss, correct: r.correct, data: null });
            break;
          }
          case DataOp.grad: {
            const r = m.chunkGrad(c);
            const data = pv.flatten(r.grads);
            pv.dispose(r.grads);
            post({ type: 'chunk', id, c, value: r.value, correct: null, data }, [data.buffer as ArrayBuffer]);
            break;
          }
          case DataOp.hvp: {
            const hv = m.chunkHvp(c, v!);
            const data = pv.flatten(hv);
            pv.dispose(hv);
            post({ type: 'chunk', id, c, value: 0, correct: null, data }, [data.buffer as ArrayBuffer]);
            break;
          }
        }
      }
    });
  } finally {
    if (!base) pv.dispose(w);
    if (v) pv.dispose(v);
  }
}

port.on('message', (m: ToDataWorker) => {
  if (m.type === 'close') {
    model?.dispose();
    release();
    model = null;
    port.close();
    return;
  }
  try {
    if (!model) throw new Error('data worker: not started');
    serve(model, m.id, m.op, m.base);
  } catch (e) {
    post({ type: 'error', id: m.id, error: serializeError(e) });
  }
});
