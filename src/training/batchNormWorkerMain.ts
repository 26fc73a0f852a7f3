/**
 * One worker thread of the BatchNorm recompute (BatchNormWorkers.ts): starts its own engine,
 * builds its own BatchNorm pass of the network once (training/BatchNormPass.ts), and for each
 * request sets the weights the main thread wrote into shared memory and posts the moments of
 * its batches (b % count === index), one message per batch.
 */
import { workerData } from 'node:worker_threads';
import { initEngine } from '../engine/backend.ts';
import { InputError } from '../errors.ts';
import { batchCount, batchRange, type BatchNormPass } from './BatchNormPass.ts';
import { serializeError } from '../parallel/workerMessages.ts';
import { syncReply } from '../parallel/SyncWorkers.ts';
import type { BatchNormWorkerInit, BatchNormSource, FromBatchNormWorker, ToBatchNormWorker } from './batchNormWorkerMessages.ts';

const init = workerData as BatchNormWorkerInit;
const port = init.port;
const weights = new Float32Array(init.weights);
const post: (m: FromBatchNormWorker) => void = syncReply(init);

async function openPass(source: BatchNormSource): Promise<{ pass: BatchNormPass; release: () => void }> {
  if (source.format === 'layers') {
    const { openLayersBatchNormPass } = await import('./layersBatchNormPass.ts');
    return { pass: await openLayersBatchNormPass(source.topology), release: () => undefined };
  }
  const { loadOnnx } = await import('../formats/onnx/loadOnnx.ts');
  const { onnxBatchNormPass } = await import('./onnxBatchNormPass.ts');
  const m = await loadOnnx(source.file);
  return { pass: onnxBatchNormPass(m), release: () => m.dispose() };
}

let opened: { pass: BatchNormPass; release: () => void } | null = null;
try {
  await initEngine(init.engine);
  opened = await openPass(init.source);
  if (opened.pass.weightCount !== init.weightCount) {
    const what = init.source.format === 'onnx' ? init.source.file : 'the layers model';
    throw new InputError(
      `batchnorm: worker thread ${init.index}'s copy of ${what} has ${opened.pass.weightCount} weights but the network to recompute has ${init.weightCount}; the workers must be made for this network`,
    );
  }
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', id: 0, error: serializeError(e) });
}

function serve(pass: BatchNormPass, id: number, batchSize: number): void {
  // A copy: tensors may keep the array they are made from, and the main thread rewrites it.
  pass.setWeights(weights.slice());
  const batches = batchCount(init.data.n, batchSize);
  for (let b = init.index; b < batches; b += init.count) {
    const { start, size } = batchRange(b, init.data.n, batchSize);
    post({ type: 'chunk', id, c: b, moments: pass.batch(init.data, start, size) });
  }
}

port.on('message', (m: ToBatchNormWorker) => {
  if (m.type === 'close') {
    opened?.pass.dispose();
    opened?.release();
    opened = null;
    port.close();
    return;
  }
  try {
    if (!opened) throw new Error('batchnorm worker: not started');
    serve(opened.pass, m.id, m.batchSize);
  } catch (e) {
    post({ type: 'error', id: m.id, error: serializeError(e) });
  }
});
