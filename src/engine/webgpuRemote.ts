/**
 * A synchronous WebGPU for tfjs under Node. The whole project reads tensors with dataSync;
 * tfjs-backend-webgpu's synchronous read needs OffscreenCanvas (absent from Node), and
 * WebGPU itself has no synchronous readback: mapAsync resolves only when the thread that
 * owns the device returns to its event loop. So the Dawn device lives in a worker thread
 * (webgpuDeviceWorker.js), and this thread gets a stand-in `navigator.gpu` whose objects
 * stream every call to it, in order, in batches. Only a read (mapAsync for reading), the
 * adapter and the device wait for an answer: the batch is sent and this thread blocks on a
 * shared flag (Atomics.wait) until the worker has run it and posted the reply, which is then
 * taken with receiveMessageOnPort. readSync on the webgpu backend is replaced by a read
 * through that path (installSyncRead).
 *
 * Only the part of WebGPU that tfjs-backend-webgpu 4.22 uses for compute is implemented;
 * WebGPU errors raised in the worker come back as an EngineError at the next read.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { tf } from './tf.ts';
import { EngineError } from '../errors.ts';

type Command = [string, ...unknown[]];

interface Reply {
  result: unknown;
  error: string | null;
}

/** The longest a read may wait for the GPU (a software driver compiling a large shader is slow). */
const READ_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_BATCH = 4096;

/** Atomics.waitAsync (Node >= 16), missing from the ES2022 type library. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

/** Wire format of an object handle inside a descriptor. */
interface Handle {
  $h: number;
}

class Channel {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private pending: Command[] = [];
  private released: number[] = [];
  private nextId = 1;
  readonly finalizer = new FinalizationRegistry<number>((id) => this.released.push(id));

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1 as unknown as MessagePort;
    this.worker = new Worker(new URL('./webgpuDeviceWorker.js', import.meta.url), {
      workerData: { reply: port2, flag: this.flag.buffer },
      transferList: [port2],
    });
    // The device thread must not keep the process alive once the main thread is done.
    this.worker.unref();
    port1.unref();
  }

  id(): number {
    return this.nextId++;
  }

  send(cmd: Command): void {
    this.pending.push(cmd);
    if (this.pending.length >= MAX_BATCH) this.flush(false);
  }

  private flush(sync: boolean): void {
    if (this.released.length > 0) {
      // After every command that may use them, but before the one whose answer is awaited.
      this.pending.splice(sync ? this.pending.length - 1 : this.pending.length, 0, ['release', this.released]);
      this.released = [];
    }
    if (this.pending.length === 0 && !sync) return;
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage({ batch: this.pending, sync });
    this.pending = [];
  }

  /** Sends what is pending plus `cmd`, and blocks until the worker has run them all. */
  request(cmd: Command): unknown {
    this.pending.push(cmd);
    this.flush(true);
    // Wake on the flag's value, not on the wake-up: the worker's notify for the previous
    // answer can arrive after that answer was taken (the flag was already 1 and wait
    // returned at once) and would otherwise end this wait before this answer exists.
    const deadline = Date.now() + READ_TIMEOUT_MS;
    while (Atomics.load(this.flag, 0) === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') throw this.timedOut();
    }
    return this.takeReply();
  }

  /** The same, for the start-up commands: waits without blocking the event loop. */
  async requestAsync(cmd: Command): Promise<unknown> {
    this.pending.push(cmd);
    this.flush(true);
    const w = waitAsync(this.flag, 0, 0, READ_TIMEOUT_MS);
    const failed = new Promise<never>((_, reject) => {
      this.worker.once('error', (e) => reject(new EngineError(`webgpu: the device thread failed: ${String(e.message).split('\n')[0]}`, { cause: e })));
    });
    // Atomics.waitAsync does not keep the process alive; the worker does, while we wait.
    this.worker.ref();
    try {
      if ((w.async ? await Promise.race([w.value, failed]) : w.value) === 'timed-out') throw this.timedOut();
      // As in request: a late wake-up from the previous answer must not end the wait.
      while (Atomics.load(this.flag, 0) === 0) {
        const again = waitAsync(this.flag, 0, 0, READ_TIMEOUT_MS);
        if ((again.async ? await Promise.race([again.value, failed]) : again.value) === 'timed-out') throw this.timedOut();
      }
    } finally {
      this.worker.unref();
    }
    return this.takeReply();
  }

  private timedOut(): EngineError {
    return new EngineError(`webgpu: the GPU did not answer within ${READ_TIMEOUT_MS / 1000} s`);
  }

  private takeReply(): unknown {
    const got = receiveMessageOnPort(this.port as never) as { message: Reply } | undefined;
    if (!got) throw new Error('webgpuRemote: the device thread signalled but sent no reply');
    if (got.message.error) throw new EngineError(`webgpu: the GPU reported an error: ${got.message.error}`);
    return got.message.result;
  }
}

/** A stand-in for one WebGPU object in the worker. */
class Remote {
  readonly $h: number;
  constructor(
    protected readonly ch: Channel,
    id?: number,
  ) {
    this.$h = id ?? ch.id();
    ch.finalizer.register(this, this.$h);
  }
  /** Calls a method of the real object; when it returns an object, `result` stands for it. */
  protected call<R extends Remote | undefined>(method: string, args: unknown[], result?: R): R {
    this.ch.send(['call', this.$h, method, wire(args), result?.$h ?? 0]);
    return result as R;
  }
}

/** Descriptors go to the worker with Remote objects replaced by their handles. */
function wire(value: unknown): unknown {
  if (value instanceof Remote) return { $h: value.$h } satisfies Handle;
  if (Array.isArray(value)) return value.map(wire);
  if (ArrayBuffer.isView(value)) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  if (value instanceof ArrayBuffer) return value.slice(0);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = wire(v);
    return out;
  }
  return value;
}

export class RemoteBuffer extends Remote {
  mapState: 'unmapped' | 'mapped' | 'pending';
  private mapped: ArrayBuffer | null = null;
  private forWrite = false;
  constructor(
    ch: Channel,
    device: number,
    readonly size: number,
    readonly usage: number,
    mappedAtCreation: boolean,
  ) {
    super(ch);
    ch.send(['createBuffer', device, this.$h, { size, usage, mappedAtCreation }]);
    this.mapState = mappedAtCreation ? 'mapped' : 'unmapped';
    if (mappedAtCreation) {
      this.mapped = new ArrayBuffer(size);
      this.forWrite = true;
    }
  }
  /** Reading only (tfjs maps for writing at creation). Done when it returns: the data is here. */
  mapAsync(mode: number): Promise<void> {
    if (!(mode & (globalThis as unknown as { GPUMapMode: { READ: number } }).GPUMapMode.READ)) {
      return Promise.reject(new Error('webgpuRemote: mapAsync supports reading only'));
    }
    const reply = this.ch.request(['mapRead', this.$h]) as { data: ArrayBuffer } | null;
    if (reply === null) throw new EngineError('webgpu: reading a GPU buffer failed without a message');
    const { data } = reply;
    this.mapped = data;
    this.forWrite = false;
    this.mapState = 'mapped';
    return Promise.resolve();
  }
  getMappedRange(offset = 0, size?: number): ArrayBuffer {
    if (this.mapped === null) throw new Error('webgpuRemote: getMappedRange on a buffer that is not mapped');
    return offset === 0 && size === undefined ? this.mapped : this.mapped.slice(offset, size === undefined ? undefined : offset + size);
  }
  unmap(): void {
    if (this.mapped !== null && this.forWrite) this.ch.send(['unmapWrite', this.$h, this.mapped]);
    this.mapped = null;
    this.mapState = 'unmapped';
  }
  destroy(): void {
    this.call('destroy', []);
  }
}

class RemotePipeline extends Remote {
  getBindGroupLayout(index: number): Remote {
    return this.call('getBindGroupLayout', [index], new Remote(this.ch));
  }
}

class RemotePass extends Remote {
  setPipeline(p: Remote): void {
    this.call('setPipeline', [p]);
  }
  setBindGroup(index: number, group: Remote, offsets?: number[]): void {
    this.call('setBindGroup', offsets === undefined ? [index, group] : [index, group, offsets]);
  }
  dispatchWorkgroups(x: number, y?: number, z?: number): void {
    this.call('dispatchWorkgroups', [x, y ?? 1, z ?? 1]);
  }
  end(): void {
    this.call('end', []);
  }
}

class RemoteEncoder extends Remote {
  beginComputePass(descriptor?: object): RemotePass {
    return this.call('beginComputePass', descriptor === undefined ? [] : [descriptor], new RemotePass(this.ch));
  }
  copyBufferToBuffer(src: Remote, srcOffset: number, dst: Remote, dstOffset: number, size: number): void {
    this.call('copyBufferToBuffer', [src, srcOffset, dst, dstOffset, size]);
  }
  finish(): Remote {
    return this.call('finish', [], new Remote(this.ch));
  }
}

class RemoteQueue extends Remote {
  submit(buffers: Remote[]): void {
    this.call('submit', [buffers]);
  }
  writeBuffer(buffer: Remote, offset: number, data: ArrayBuffer | ArrayBufferView, dataOffset = 0, size?: number): void {
    const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    // Offsets and sizes of a typed array count its elements; of an ArrayBuffer, bytes.
    const unit = ArrayBuffer.isView(data) ? (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1 : 1;
    const start = dataOffset * unit;
    const end = size === undefined ? bytes.byteLength : start + size * unit;
    this.call('writeBuffer', [buffer, offset, bytes.slice(start, end)]);
  }
}

class RemoteDevice extends Remote {
  readonly queue: RemoteQueue;
  readonly features = new Set<string>();
  readonly lost = new Promise<never>(() => {});
  constructor(
    ch: Channel,
    id: number,
    readonly limits: Record<string, number>,
  ) {
    super(ch, id);
    this.queue = new RemoteQueue(ch, id + 1);
  }
  createBuffer(d: { size: number; usage: number; mappedAtCreation?: boolean }): RemoteBuffer {
    return new RemoteBuffer(this.ch, this.$h, d.size, d.usage, Boolean(d.mappedAtCreation));
  }
  createShaderModule(d: object): Remote {
    return this.call('createShaderModule', [d], new Remote(this.ch));
  }
  createComputePipeline(d: object): RemotePipeline {
    return this.call('createComputePipeline', [d], new RemotePipeline(this.ch));
  }
  createComputePipelineAsync(d: object): Promise<RemotePipeline> {
    return Promise.resolve(this.createComputePipeline(d));
  }
  createBindGroup(d: object): Remote {
    return this.call('createBindGroup', [d], new Remote(this.ch));
  }
  createCommandEncoder(d?: object): RemoteEncoder {
    return this.call('createCommandEncoder', d === undefined ? [] : [d], new RemoteEncoder(this.ch));
  }
  destroy(): void {
    this.call('destroy', []);
  }
}

/** The adapter's own report, as the worker sends it. */
export interface RemoteAdapterReport {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean };
  limits: Record<string, number>;
}

class RemoteAdapter extends Remote {
  readonly features = new Set<string>();
  readonly info: RemoteAdapterReport['info'];
  readonly limits: Record<string, number>;
  constructor(ch: Channel, id: number, report: RemoteAdapterReport) {
    super(ch, id);
    this.info = report.info;
    this.limits = report.limits;
  }
  async requestDevice(descriptor?: { requiredLimits?: Record<string, number> }): Promise<RemoteDevice> {
    const id = this.ch.id();
    this.ch.id(); // the queue's handle is the device's + 1
    const { limits } = (await this.ch.requestAsync(['requestDevice', this.$h, id, { requiredLimits: descriptor?.requiredLimits ?? {} }])) as {
      limits: Record<string, number>;
    };
    return new RemoteDevice(this.ch, id, limits);
  }
}

/** Stands for GPUTexture in tfjs's instanceof tests; the remote device makes no textures. */
export class RemoteTexture extends Remote {}

/** Starts the device thread and its adapter; null when Dawn finds none. */
export async function startRemoteAdapter(): Promise<{ gpu: { requestAdapter(): Promise<unknown> }; report: RemoteAdapterReport } | null> {
  const ch = new Channel();
  const id = ch.id();
  const { adapter } = (await ch.requestAsync(['init', id])) as { adapter: RemoteAdapterReport | null };
  if (adapter === null) return null;
  const remote = new RemoteAdapter(ch, id, adapter);
  return { gpu: { requestAdapter: async () => remote }, report: adapter };
}

interface WebGpuBackendInternals {
  tensorMap: { get(id: tf.DataId): { values: tf.BackendValues | null; dtype: tf.DataType; resource: RemoteBuffer | null; complexTensorInfos?: unknown } };
  bufferManager: { acquireBuffer(size: number, usage: number): RemoteBuffer; releaseBuffer(b: RemoteBuffer): void };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: RemoteEncoder;
  convertAndCacheOnCPU(id: tf.DataId, v: tf.BackendValues): tf.BackendValues;
}

/**
 * Replaces the webgpu backend's readSync (OffscreenCanvas, absent from Node) by the same
 * copy-to-staging-buffer read its async `read` does, which the remote device answers
 * synchronously.
 */
export function installSyncRead(backend: tf.KernelBackend): void {
  const b = backend as unknown as WebGpuBackendInternals & { readSync(id: tf.DataId): tf.BackendValues };
  b.readSync = (dataId) => {
    const data = b.tensorMap.get(dataId);
    if (data.values != null || data.dtype === 'string') return data.values as tf.BackendValues;
    if (data.dtype === 'complex64') throw new EngineError('webgpu: reading complex64 tensors synchronously is not supported');
    const buffer = data.resource as RemoteBuffer;
    const usage = (globalThis as unknown as { GPUBufferUsage: { COPY_DST: number; MAP_READ: number } }).GPUBufferUsage;
    const staging = b.bufferManager.acquireBuffer(buffer.size, usage.COPY_DST | usage.MAP_READ);
    b.ensureCommandEncoderReady();
    b.endComputePassEncoder();
    b.commandEncoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
    b.submitQueue();
    void staging.mapAsync((globalThis as unknown as { GPUMapMode: { READ: number } }).GPUMapMode.READ);
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    b.bufferManager.releaseBuffer(staging);
    return b.convertAndCacheOnCPU(dataId, tf.util.convertBackendValuesAndArrayBuffer(bytes, data.dtype));
  };
}
