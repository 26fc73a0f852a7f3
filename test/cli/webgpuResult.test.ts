/**
 * A result computed on webgpu names the adapter it ran on (a software driver is not a GPU),
 * and gives the same numbers as cpu; a cpu result has no adapter field.
 */
import path from 'node:path';
import test from 'ava';
import { sharpness } from '../helpers/cli.ts';
import { tempDir, saveMnistMlp } from '../helpers/checkpoints.ts';
import { useBackend, webgpuStatus } from '../helpers/engine.ts';

const status = await webgpuStatus();
const gpuTest = status.available ? test : test.skip;

let a = '';
test.before(async () => {
  await useBackend('cpu');
  a = await saveMnistMlp(path.join(await tempDir(), 'a'), 1);
});

gpuTest('evaluate --backend webgpu records the adapter in engine.adapter; numbers equal cpu', async (t) => {
  const args = ['evaluate', a, '--data', 'mnist:test:200', '--json'];
  const gpu = await sharpness([...args, '--backend', 'webgpu']);
  t.is(gpu.status, 0, gpu.stderr);
  const cpu = await sharpness([...args, '--backend', 'cpu']);
  t.is(cpu.status, 0, cpu.stderr);
  const g = JSON.parse(gpu.stdout);
  const c = JSON.parse(cpu.stdout);
  t.is(g.engine.backend, 'webgpu');
  t.is(typeof g.engine.adapter, 'string');
  t.true(g.engine.adapter.length > 0);
  // The engine line on stderr names the same adapter.
  t.true(gpu.stderr.includes(`(${g.engine.adapter})`), gpu.stderr);
  t.false('adapter' in c.engine);
  const lg = g.result.models[0].loss;
  const lc = c.result.models[0].loss;
  t.true(Math.abs(lg - lc) <= 1e-5 * Math.max(1, Math.abs(lc)), `webgpu ${lg} vs cpu ${lc}`);
});
