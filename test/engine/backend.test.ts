import test from 'ava';
import {
  Backend,
  defaultLoader,
  describeEngine,
  initEngine,
  installHint,
  type ModuleLoader,
} from '../../src/engine/backend.ts';
import { EngineError, UsageError } from '../../src/errors.ts';

// initEngine switches tfjs's global backend, so these tests run one at a time.

/** A loader that finds no optional package and records what it was asked for. */
function nothingInstalled(): { load: ModuleLoader; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    load: async (name) => {
      asked.push(name);
      return false;
    },
  };
}

test.serial('cpu: the pure-JS backend', async (t) => {
  const info = await initEngine({ backend: Backend.cpu });
  t.is(info.requested, 'cpu');
  t.is(info.backend, 'cpu');
  t.is(info.device, 'cpu');
  t.regex(info.tfjsVersion, /^\d+\.\d+\.\d+$/);
});

test.serial('wasm: one thread under Node', async (t) => {
  const info = await initEngine({ backend: Backend.wasm });
  t.is(info.backend, 'wasm');
  t.is(info.device, 'wasm');
  t.is(info.threads, 1);
  t.is(describeEngine(info), `engine: wasm (1 thread), tfjs ${info.tfjsVersion}`);
});

test.serial('auto falls back to wasm when no native package is installed, trying the GPU one first', async (t) => {
  const { load, asked } = nothingInstalled();
  const info = await initEngine({ backend: Backend.auto }, load);
  t.is(info.requested, 'auto');
  t.is(info.backend, 'wasm');
  t.deepEqual(asked, ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
});

test.serial('no options means auto', async (t) => {
  const info = await initEngine({}, nothingInstalled().load);
  t.is(info.requested, 'auto');
  t.is(info.backend, 'wasm');
});

for (const backend of [Backend.tensorflow, Backend.tensorflowGpu] as const) {
  const pkg = backend === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
  test.serial(`--backend ${backend} without ${pkg} says how to install it`, async (t) => {
    const e = await t.throwsAsync(initEngine({ backend }, nothingInstalled().load), { instanceOf: EngineError });
    t.is(e?.message, installHint(backend));
    t.true(e?.message.includes(`npm install ${pkg}@`), e?.message);
    t.is(e?.exitCode, 3);
    t.false(e?.message.includes('\n'));
  });
}

test('the GPU install hint names CUDA and cuDNN', (t) => {
  t.regex(installHint('tensorflow-gpu'), /CUDA 11\.2 and cuDNN 8/);
});

for (const threads of [0, 1.5, -2, Number.NaN]) {
  test.serial(`threads ${threads} is a usage error naming --threads and the value`, async (t) => {
    const e = await t.throwsAsync(initEngine({ backend: Backend.cpu, threads }), { instanceOf: UsageError });
    t.true(e?.message.includes('--threads'), e?.message);
    t.true(e?.message.endsWith(`got ${threads}`), e?.message);
    t.is(e?.exitCode, 2);
  });
}

test.serial('an unknown backend is a usage error listing the choices', async (t) => {
  const e = await t.throwsAsync(initEngine({ backend: 'gpu' as Backend }), { instanceOf: UsageError });
  t.regex(e?.message ?? '', /--backend must be one of auto, wasm, cpu, tensorflow, tensorflow-gpu, got gpu/);
});

// A package that is installed but fails to load (a libtensorflow or CUDA mismatch):
// the default loader reports it instead of treating it as absent.
const BROKEN_MODULE = `data:text/javascript,throw new Error("libcudart.so.11.0: cannot open shared object file")`;

test.serial('a package that is installed but fails to load surfaces as EngineError', async (t) => {
  const load: ModuleLoader = () => defaultLoader(BROKEN_MODULE);
  const e = await t.throwsAsync(initEngine({ backend: Backend.tensorflow }, load), { instanceOf: EngineError });
  t.regex(e?.message ?? '', /failed to load: libcudart\.so\.11\.0: cannot open shared object file/);
  t.is(e?.exitCode, 3);
  t.truthy(e?.cause);
});

test('the default loader reports a missing package as not installed', async (t) => {
  t.false(await defaultLoader('@sharpness-test/no-such-package'));
});
