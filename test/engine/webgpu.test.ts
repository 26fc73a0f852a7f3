/**
 * The webgpu engine itself, on whatever adapter starts here (lavapipe in CI): synchronous
 * reads through the device thread, the AddN replacement, the adapter report, and that a
 * software adapter is never taken by auto. Skipped with the reason printed where webgpu does
 * not start; a failure in CI (helpers/engine.ts).
 */
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { useWebGpu } from '../../src/engine/webgpu.ts';
import { derivativeBackends, useBackend, webgpuStatus } from '../helpers/engine.ts';

const available = (await derivativeBackends(test)).includes('webgpu');
const gpuTest = available ? test.serial : test.serial.skip;

gpuTest('the engine reports its adapter; a software one is refused when only hardware is wanted', async (t) => {
  const status = await webgpuStatus();
  if (!status.available) return t.fail(status.reason);
  const { adapter } = status.info;
  t.truthy(adapter);
  t.is(status.info.backend, 'webgpu');
  t.true(adapter!.vendor.length > 0 || adapter!.description.length > 0);
  if (adapter!.software) {
    const again = await useWebGpu({ hardwareOnly: true });
    t.true('reason' in again && /software/.test(again.reason), JSON.stringify(again));
  }
});

gpuTest('dataSync reads GPU results synchronously, equal to cpu, and leaks no tensors', async (t) => {
  const run = () =>
    tf.tidy(() => {
      const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
      const b = tf.tensor2d([0.5, -1, 2, 0, 1, 3], [3, 2]);
      return Array.from(tf.tanh(tf.matMul(a, b)).dataSync());
    });
  await useBackend('cpu');
  const expected = run();
  await useBackend('webgpu');
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    const got = run();
    got.forEach((v, k) => t.true(Math.abs(v - expected[k]!) < 1e-6, `entry ${k}: ${v} vs ${expected[k]}`));
  }
  t.is(tf.memory().numTensors, before);
  const ints = tf.tensor1d([3, -7, 11], 'int32');
  t.deepEqual(Array.from(tf.mul(ints, 2).dataSync()), [6, -14, 22]);
  tf.dispose(ints);
});

gpuTest('AddN of more tensors than the device binds at once (tfjs-webgpu binds them all): sum 1..40 = 820', async (t) => {
  await useBackend('webgpu');
  const xs = Array.from({ length: 40 }, (_, i) => tf.fill([5], i + 1));
  const before = tf.memory().numTensors;
  const s = tf.addN(xs);
  t.deepEqual(Array.from(s.dataSync()), [820, 820, 820, 820, 820]);
  t.is(tf.memory().numTensors, before + 1, 'the partial sums are disposed');
  tf.dispose([s, ...xs]);
  await useBackend('cpu');
});
