/**
 * Worker threads the main thread waits on synchronously: the lifecycle every data-parallel
 * computation shares (the chunks of an objective, DataParallelObjective.ts; the chunks of a
 * training step, training/stepWorkers.ts; the batches of a BatchNorm recompute,
 * BatchNormWorkers.ts), written once:
 *
 * - start: `count` threads of one entry script, each given its init plus its index, its end
 *   of a MessageChannel and a shared signal; unref'd, so they never keep the process alive;
 *   each answers 'ready' (or an error) before the first request;
 * - receive: the main thread blocks on Atomics.wait until worker k's next message (a worker
 *   adds 1 at its signal slot after each message it posts: syncReply);
 * - collect: the results of one request, one per chunk, handed over IN CHUNK ORDER (chunk c
 *   comes from worker c % count); results of an earlier failed request are skipped;
 * - errors cross as plain data and come back as the same typed error (workerMessages.ts);
 * - close: a 'close' message, then terminate.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { EngineError } from '../errors.ts';
import { deserializeError, type SerializedError } from './workerMessages.ts';

/** What every synchronous worker gets besides its own init (in workerData). */
export interface SyncWorkerInit {
  /** This worker's number, 0..count-1. */
  index: number;
  count: number;
  /** The worker's end of its channel. */
  port: MessagePort;
  /** Int32Array[count]: worker `index` adds 1 at its slot after each message it posts. */
  signal: SharedArrayBuffer;
}

/** The messages every synchronous worker may send (a computation adds its own fields). */
export type SyncReply =
  | { type: 'ready' }
  | { type: 'chunk'; id: number; c: number }
  | { type: 'error'; id: number; error: SerializedError };

/** The longest the main thread waits for one message (a chunk's result, a worker's start) before giving up. */
const TIMEOUT_MS = 30 * 60 * 1000;

let live = 0;
let startedEver = 0;
/** Synchronous worker threads started and not yet exited (for tests of shutdown). */
export function liveSyncWorkers(): number {
  return live;
}

/** Synchronous worker threads started since the process began (for tests: whether a run used workers). */
export function startedSyncWorkers(): number {
  return startedEver;
}

/** The worker side: posts a message to the main thread and wakes it. */
export function syncReply(init: SyncWorkerInit): (m: unknown, transfer?: ArrayBuffer[]) => void {
  const signal = new Int32Array(init.signal);
  return (m, transfer = []) => {
    init.port.postMessage(m, transfer);
    Atomics.add(signal, init.index, 1);
    Atomics.notify(signal, init.index);
  };
}

export class SyncWorkers<From extends SyncReply> {
  private workers: Worker[] = [];
  private ports: MessagePort[] = [];
  private signal: Int32Array | null = null;
  private broken: Error | null = null;
  /** Seconds the main thread spent blocked, waiting for the workers. */
  waitSeconds = 0;

  /** `what` names the computation in messages ("data-parallel objective"). */
  constructor(
    private readonly what: string,
    private readonly entry: URL,
    readonly count: number,
  ) {}

  get started(): boolean {
    return this.workers.length > 0;
  }

  /**
   * Starts the workers (once; a failed start is thrown again on every later call) with
   * workerData `{ ...initOf(k), index, count, port, signal }`, and waits for each one's
   * first message: `check` throws when a 'ready' message is not what this side expects.
   */
  start(initOf: (k: number) => object, check: (k: number, m: From) => void = () => {}): void {
    if (this.broken) throw this.broken;
    if (this.workers.length > 0) return;
    const signal = new SharedArrayBuffer(4 * this.count);
    this.signal = new Int32Array(signal);
    for (let k = 0; k < this.count; k++) {
      const { port1, port2 } = new MessageChannel();
      const init: SyncWorkerInit = { ...initOf(k), index: k, count: this.count, port: port2, signal };
      const w = new Worker(this.entry, { workerData: init, transferList: [port2], stdout: false, stderr: false });
      live++;
      startedEver++;
      w.once('exit', () => live--);
      // Only ever waited on synchronously: never what keeps the process alive.
      w.unref();
      port1.unref();
      this.workers.push(w);
      this.ports.push(port1);
    }
    try {
      for (let k = 0; k < this.count; k++) {
        const m = this.receive(k);
        const r: SyncReply = m;
        if (r.type === 'error') throw deserializeError(r.error);
        if (r.type !== 'ready') throw new Error(`${this.what}: worker ${k} sent ${r.type} before it was ready`);
        check(k, m);
      }
    } catch (e) {
      this.broken = e as Error;
      this.close();
      throw e;
    }
  }

  /** The next message of worker k, blocking this thread until it comes. */
  receive(k: number): From {
    const port = this.ports[k]!;
    const t0 = performance.now();
    try {
      for (;;) {
        const got = receiveMessageOnPort(port);
        if (got) return got.message as From;
        const seen = Atomics.load(this.signal!, k);
        const again = receiveMessageOnPort(port);
        if (again) return again.message as From;
        if (Atomics.wait(this.signal!, k, seen, TIMEOUT_MS) === 'timed-out') {
          throw new EngineError(`${this.what}: worker thread ${k} sent nothing for ${TIMEOUT_MS / 60000} minutes (did it run out of memory?)`);
        }
      }
    } finally {
      this.waitSeconds += (performance.now() - t0) / 1000;
    }
  }

  /** Posts `m` to every worker. */
  postAll(m: unknown): void {
    for (const p of this.ports) p.postMessage(m);
  }

  /**
   * Hands the results of request `id` for chunks 0..chunks-1 to `each`, in chunk order
   * (chunk c from worker c % count); throws a worker's error as its typed error.
   */
  collect(id: number, chunks: number, each: (m: Extract<From, { type: 'chunk' }>) => void): void {
    for (let c = 0; c < chunks; c++) {
      const k = c % this.count;
      let m: SyncReply = this.receive(k);
      // results of an earlier request that failed elsewhere
      while (m.type === 'ready' || m.id !== id) m = this.receive(k);
      if (m.type === 'error') throw deserializeError(m.error);
      if (m.c !== c) throw new Error(`${this.what}: expected chunk ${c} from worker ${k}, got ${JSON.stringify({ ...m, data: undefined, grad: undefined })}`);
      each(m as unknown as Extract<From, { type: 'chunk' }>);
    }
  }

  close(): void {
    for (const p of this.ports) {
      try {
        p.postMessage({ type: 'close' });
      } catch {
        // already closed
      }
      p.close();
    }
    for (const w of this.workers) void w.terminate();
    this.workers = [];
    this.ports = [];
  }
}
