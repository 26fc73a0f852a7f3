/**
 * Multithreaded tfjs-backend-wasm under Node. tfjs 4.22 never uses its threaded build there:
 * - WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false when IS_NODE;
 * - the pthread worker script is handed to emscripten as a `blob:` URL, which Node's
 *   worker_threads cannot load, and each worker then loads the main script from a Blob the
 *   same way;
 * - XNNPACK's pool is capped at os.cpus().length / 2 threads (1 on a 2-core machine).
 * enableWasmThreads works around all three for the duration of the backend's initialisation
 * only: it writes both scripts to real files, points the worker at them, and reports enough
 * CPUs for the requested count.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { tf } from './tf.ts';

const require = createRequire(import.meta.url);

/** emscripten pre-allocates this many pthread workers; more threads would need a worker made after init. */
const POOL_WORKERS = 8;

/** Writes the threaded build's main and worker scripts; returns the worker's path. */
function writeScripts(): string {
  const factory = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js') as () => unknown;
  const { wasmWorkerContents } = require(
    '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js',
  ) as { wasmWorkerContents: string };
  const dir = mkdtempSync(join(os.tmpdir(), 'tfjs-wasm-threads-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const main = join(dir, 'main.js');
  const worker = join(dir, 'worker.js');
  // The same text tfjs puts in its Blob.
  writeFileSync(main, `var WasmBackendModuleThreadedSimd = ${factory.toString()}`);
  // The worker turns the main-script Blob it is sent into an object URL and reads that URL
  // as a file; answer with the real file instead. tfjs re-escapes the newlines that the
  // template literal holding the worker text turned into real ones.
  const redirect = `URL.createObjectURL = () => ${JSON.stringify(main)}; URL.revokeObjectURL = () => {};\n`;
  writeFileSync(worker, redirect + wasmWorkerContents.replace(/\n/g, '\\n'));
  return worker;
}

/**
 * The thread count of an already initialised wasm backend, else null. (tf.findBackend would
 * start initialising it, without the workarounds.)
 */
function initialisedThreads(getThreadsCount: () => number): number | null {
  try {
    return getThreadsCount();
  } catch {
    return null;
  }
}

/**
 * Initialises the wasm backend with `threads` XNNPACK threads (1 to 9) and makes it the
 * current backend. Must run before anything else initialises the wasm backend: once it is
 * initialised its thread count is fixed, and that count is returned unchanged. Returns the
 * thread count actually in use (1 where threads are unavailable, e.g. without wasm SIMD).
 */
export async function enableWasmThreads(threads: number): Promise<number> {
  if (!Number.isInteger(threads) || threads < 1 || threads > POOL_WORKERS + 1) {
    throw new RangeError(`enableWasmThreads: threads must be an integer from 1 to ${POOL_WORKERS + 1}, got ${threads}`);
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const current = initialisedThreads(wasm.getThreadsCount);
  if (current != null) {
    await tf.setBackend('wasm');
    return current;
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  if (threads === 1 || !simd) {
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new Error('enableWasmThreads: the wasm backend failed to initialise');
    return wasm.getThreadsCount();
  }

  const workerPath = writeScripts();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = (obj: Blob | MediaSource) =>
    obj instanceof Blob && obj.type === 'application/javascript' ? workerPath : createObjectURL(obj);
  const fakeCpus = Array.from({ length: 2 * threads }, () => cpus()[0]!);
  os.cpus = () => fakeCpus;
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('enableWasmThreads: the threaded wasm backend failed to initialise');
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
  return wasm.getThreadsCount();
}
