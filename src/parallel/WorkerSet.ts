/**
 * Worker threads that the main thread talks to synchronously: the lifecycle shared by the
 * data-parallel objective (DataParallelObjective.ts) and the BatchNorm recompute
 * (BatchNormWorkers.ts).
 *
 * - each worker gets its own MessageChannel and a slot in a shared Int32Array; after each
 *   message it posts (postToMain) it adds 1 at its slot and notifies, so the main thread
 *   blocks in Atomics.wait until the message is there (receive): a computation that must
 *   return synchronously (an Objective's loss) can still run on worker threads;
 * - the workers and their ports are unref'd: only ever waited on synchronously, they never
 *   keep the process alive;
 * - close() asks each worker to stop, closes the ports and terminates the threads.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { EngineError } from '../errors.ts';

/** What each worker of a set gets besides its own init (part of its workerData). */
export interface WorkerLink {
  /** This worker's number, 0 .. count - 1. */
  index: number;
  count: number;
  /** The worker's end of its channel. */
  port: MessagePort;
  /** Int32Array[count]: worker `index` adds 1 at its slot after each message it posts. */
  signal: SharedArrayBuffer;
}

/** The longest the main thread waits for one message of a worker before giving up. */
const RECEIVE_TIMEOUT_MS = 30 * 60 * 1000;

let live = 0;
let started = 0;
/** Worker threads of any WorkerSet started and not yet exited (for tests of shutdown). */
export function liveWorkerThreads(): number {
  return live;
}

/** Worker threads of any WorkerSet started since the process began (for tests: whether a run used workers). */
export function startedWorkerThreads(): number {
  return started;
}

/** Worker side: posts a message to the main thread and wakes it (see the module comment). */
export function postToMain<From>(link: WorkerLink): (m: From, transfer?: ArrayBuffer[]) => void {
  const signal = new Int32Array(link.signal);
  return (m, transfer = []) => {
    link.port.postMessage(m, transfer);
    Atomics.add(signal, link.index, 1);
    Atomics.notify(signal, link.index);
  };
}

export class WorkerSet<To, From> {
  private workers: Worker[] = [];
  private ports: MessagePort[] = [];
  private signal: Int32Array | null = null;

  /** `what` names the user of the set in messages, e.g. 'data-parallel objective'. */
  constructor(
    private readonly entry: URL,
    private readonly what: string,
  ) {}

  /** Worker threads running (0 before start and after close). */
  get size(): number {
    return this.workers.length;
  }

  /** Starts `count` worker threads of the entry, worker k with workerData init(k) plus its link. */
  start(count: number, init: (k: number) => object): void {
    const signal = new SharedArrayBuffer(4 * count);
    this.signal = new Int32Array(signal);
    for (let k = 0; k < count; k++) {
      const { port1, port2 } = new MessageChannel();
      const link: WorkerLink = { index: k, count, port: port2, signal };
      const w = new Worker(this.entry, { workerData: { ...init(k), ...link }, transferList: [port2], stdout: false, stderr: false });
      live++;
      started++;
      w.once('exit', () => live--);
      // Only ever waited on synchronously: never what keeps the process alive.
      w.unref();
      port1.unref();
      this.workers.push(w);
      this.ports.push(port1);
    }
  }

  /** The next message of worker k, blocking this thread until it comes. */
  receive(k: number): From {
    const port = this.ports[k]!;
    for (;;) {
      const got = receiveMessageOnPort(port);
      if (got) return got.message as From;
      const seen = Atomics.load(this.signal!, k);
      const again = receiveMessageOnPort(port);
      if (again) return again.message as From;
      if (Atomics.wait(this.signal!, k, seen, RECEIVE_TIMEOUT_MS) === 'timed-out') {
        throw new EngineError(`${this.what}: worker thread ${k} sent nothing for ${RECEIVE_TIMEOUT_MS / 60000} minutes (did it run out of memory?)`);
      }
    }
  }

  /** Posts `m` to every worker. */
  postAll(m: To): void {
    for (const p of this.ports) p.postMessage(m);
  }

  /** Asks every worker to stop (`bye`), closes the channels and terminates the threads. */
  close(bye: To): void {
    for (const p of this.ports) {
      try {
        p.postMessage(bye);
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
