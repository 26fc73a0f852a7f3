/**
 * One worker thread of a chunked training step (stepWorkers.ts): starts its own engine,
 * builds its own copy of the training network (trainNetSource.ts) at the weights it is
 * given, and for each request sets the trainable weights the main thread wrote into shared
 * memory and computes its chunks (c % count === index) of the minibatch whose indices the
 * main thread wrote there too, posting one result per chunk (the gradient's buffer
 * transferred, not copied).
 */
import { workerData } from 'node:worker_threads';
import { initEngine } from '../engine/backend.ts';
import * as pv from '../engine/paramVector.ts';
import { serializeError } from '../parallel/workerMessages.ts';
import { syncReply } from '../parallel/SyncWorkers.ts';
import { chunkSizes } from './chunkedGradient.ts';
import { MinibatchLoss } from './MinibatchLoss.ts';
import { trainableNetFrom } from './trainNetSource.ts';
import type { FromStepWorker, StepWorkerInit, ToStepWorker } from './stepWorkerMessages.ts';

const init = workerData as StepWorkerInit;
const port = init.port;
const weights = new Float32Array(init.weights);
const indices = new Int32Array(init.indices);
const post: (m: FromStepWorker, transfer?: ArrayBuffer[]) => void = syncReply(init);

let mb: MinibatchLoss | null = null;
let release = () => {};
try {
  await initEngine(init.engine);
  const built = await trainableNetFrom(init.source, init.loss);
  release = () => built.dispose();
  built.net.setFlatWeights(init.initial);
  mb = new MinibatchLoss(built.net, init.data, init.loss);
  post({ type: 'ready', dimension: pv.sizeOf(built.net.vars), weightCount: built.net.weightCount });
} catch (e) {
  post({ type: 'error', id: 0, error: serializeError(e) });
}

function serve(mb: MinibatchLoss, m: Extract<ToStepWorker, { type: 'request' }>): void {
  const sizes = chunkSizes(m.size, m.chunk);
  // No chunk of this pass is ours: the main thread does not wait for us, and may be writing the next pass's inputs.
  if (init.index >= sizes.length) return;
  const vars = mb.net.vars;
  // a copy: a backend may keep the array it is given (cpu does), and this one is rewritten every pass
  const w = pv.unflatten(weights.slice(), pv.shapesOf(vars));
  vars.forEach((v, i) => v.assign(w[i]!));
  pv.dispose(w);
  const idx = indices.subarray(0, m.size);
  try {
    for (let c = init.index; c < sizes.length; c += init.count) {
      const r = mb.chunkGradient(idx, c * m.chunk, sizes[c]!, m.seeds[c]!, m.withHits);
      post({ type: 'chunk', id: m.id, c, value: r.value, hits: r.hits, grad: r.grad }, [r.grad.buffer as ArrayBuffer]);
    }
  } finally {
    // No BatchNorm here (the main thread refuses chunks of BatchNorm models): nothing to apply.
    mb.net.endStep();
  }
}

port.on('message', (m: ToStepWorker) => {
  if (m.type === 'close') {
    release();
    mb = null;
    port.close();
    return;
  }
  try {
    if (!mb) throw new Error('step worker: not started');
    serve(mb, m);
  } catch (e) {
    post({ type: 'error', id: m.id, error: serializeError(e) });
  }
});
