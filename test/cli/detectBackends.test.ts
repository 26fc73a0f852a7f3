import test from 'ava';
import { detectBackends } from '../../src/cli/detectBackends.ts';

const notFound = (s: string): string => {
  throw Object.assign(new Error(`Cannot find package '${s}'`), { code: 'ERR_MODULE_NOT_FOUND' });
};

test('wasm and cpu are always there', (t) => {
  t.deepEqual(detectBackends(notFound), ['wasm', 'cpu']);
});

test('webgpu appears when both its packages resolve (Dawn for Node and tfjs-backend-webgpu)', (t) => {
  const some = (pkgs: string[]) => (s: string) => (pkgs.includes(s) ? `file:///node_modules/${s}/index.js` : notFound(s));
  t.deepEqual(detectBackends(some(['webgpu', '@tensorflow/tfjs-backend-webgpu'])), ['wasm', 'cpu', 'webgpu']);
  t.deepEqual(detectBackends(some(['webgpu'])), ['wasm', 'cpu']);
});

test('native backends appear when their package resolves, without being loaded', (t) => {
  const only = (pkg: string) => (s: string) => (s === pkg ? `file:///node_modules/${s}/index.js` : notFound(s));
  t.deepEqual(detectBackends(only('@tensorflow/tfjs-node')), ['wasm', 'cpu', 'tensorflow']);
  t.deepEqual(detectBackends(only('@tensorflow/tfjs-node-gpu')), ['wasm', 'cpu', 'tensorflow-gpu']);
});

test('the default resolver finds what is installed here', (t) => {
  const found = detectBackends();
  t.true(found.includes('wasm') && found.includes('cpu'));
  t.true(found.includes('webgpu'), 'webgpu and tfjs-backend-webgpu are dependencies');
});
