/**
 * A dataset whose arrays live in shared memory (SharedArrayBuffer): handed to worker
 * threads (workerData, postMessage), it is shared, not copied, so a pool of workers holds
 * one copy of the data however many workers there are.
 */
import type { Dataset, Targets } from '../io/dataset.ts';

function shared<T extends Float32Array | Int32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as { new (buffer: SharedArrayBuffer): T };
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/** True when every array of `d` is in shared memory. */
export function isShared(d: Dataset): boolean {
  const t = d.targets.kind === 'classes' ? d.targets.labels : d.targets.values;
  return d.x.buffer instanceof SharedArrayBuffer && t.buffer instanceof SharedArrayBuffer;
}

/** The same dataset (same spec, hash and values) with its arrays in shared memory; `d` itself if they already are. */
export function shareDataset(d: Dataset): Dataset {
  if (isShared(d)) return d;
  const targets: Targets =
    d.targets.kind === 'classes'
      ? { kind: 'classes', labels: shared(d.targets.labels), numClasses: d.targets.numClasses }
      : { kind: 'regression', values: shared(d.targets.values), dim: d.targets.dim };
  return { spec: d.spec, n: d.n, sampleShape: [...d.sampleShape], x: shared(d.x), targets, sha256: d.sha256 };
}
