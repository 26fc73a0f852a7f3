// The thread that owns the Dawn device for the webgpu engine (see webgpuRemote.ts). It runs
// the WebGPU calls the main thread streams to it, in order, and answers the few that return
// something (the adapter, a device, the contents of a buffer mapped for reading) through a
// MessagePort the main thread reads synchronously while it waits on a shared flag.
// Plain JavaScript: it only needs the `webgpu` package, and must start without a TS loader.
import { parentPort, workerData } from 'node:worker_threads';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const { reply, flag } = workerData;
const signal = new Int32Array(flag);
/** Handle id -> WebGPU object. */
const objects = new Map();
let gpu = null;
let firstError = null;

function answer(message) {
  reply.postMessage({ ...message, error: firstError });
  firstError = null;
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

/** Replaces {$h: id} handles in a descriptor or argument list by the objects they name. */
function resolve(value) {
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) {
    if ('$h' in value) {
      const o = objects.get(value.$h);
      if (o === undefined) throw new Error(`webgpu worker: unknown handle ${value.$h}`);
      return o;
    }
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolve(v);
    return out;
  }
  return value;
}

function note(e) {
  // Dawn's messages often start with a line break ("validation:\n..."): keep the text.
  const text = String(e?.message ?? e).split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ');
  if (firstError === null) firstError = text || String(e?.name ?? 'unknown error');
}

async function run(cmd) {
  const [op, ...rest] = cmd;
  switch (op) {
    case 'init': {
      gpu = create([]);
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (adapter == null) return { adapter: null };
      objects.set(rest[0], adapter);
      const info = adapter.info ?? {};
      const limits = {};
      for (const k in adapter.limits) limits[k] = adapter.limits[k];
      return {
        adapter: {
          info: {
            vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '',
            description: info.description ?? '', isFallbackAdapter: Boolean(info.isFallbackAdapter),
          },
          limits,
        },
      };
    }
    case 'requestDevice': {
      const [adapterId, deviceId, descriptor] = rest;
      const adapter = objects.get(adapterId);
      // tfjs sizes its AddN programs by device.limits.maxStorageBuffersPerShaderStage, which
      // dawn.node reports as the adapter's limit even when the device got the default (8):
      // ask for the adapter's limit so that the two agree.
      const requiredLimits = { ...descriptor.requiredLimits, maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage };
      const device = await adapter.requestDevice({ ...descriptor, requiredLimits });
      device.addEventListener?.('uncapturederror', (ev) => note(ev.error));
      objects.set(deviceId, device);
      objects.set(deviceId + 1, device.queue);
      const limits = {};
      for (const k in device.limits) limits[k] = device.limits[k];
      return { limits };
    }
    case 'createBuffer': {
      const [deviceId, id, descriptor] = rest;
      objects.set(id, objects.get(deviceId).createBuffer(descriptor));
      return undefined;
    }
    case 'unmapWrite': {
      const [id, data] = rest;
      const buffer = objects.get(id);
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
      buffer.unmap();
      return undefined;
    }
    case 'mapRead': {
      const [id] = rest;
      const buffer = objects.get(id);
      await buffer.mapAsync(globalThis.GPUMapMode.READ);
      const data = buffer.getMappedRange().slice(0);
      buffer.unmap();
      return { data };
    }
    case 'call': {
      const [target, method, args, resultId] = rest;
      const result = objects.get(target)[method](...resolve(args));
      if (resultId) objects.set(resultId, result);
      return undefined;
    }
    case 'release':
      for (const id of rest[0]) objects.delete(id);
      return undefined;
    default:
      throw new Error(`webgpu worker: unknown command ${op}`);
  }
}

// Commands arrive in batches; a batch that wants an answer ends with the command to answer.
let queue = Promise.resolve();
parentPort.on('message', ({ batch, sync }) => {
  queue = queue.then(async () => {
    let last;
    for (const cmd of batch) {
      try {
        last = await run(cmd);
      } catch (e) {
        note(e);
        last = undefined;
      }
    }
    if (sync) answer({ result: last ?? null });
  });
});
