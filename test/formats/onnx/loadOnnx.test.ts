/**
 * loadOnnx: every validation failure is one InputError line naming the node / tensor; the
 * model API (classification, final activation, BatchNorm modes, dynamic batch, notes);
 * serialize round trip; no tensor leak over many forward passes.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, symlinkSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tf, type Tensor } from '../../../src/engine/tf.ts';
import { InputError } from '../../../src/errors.ts';
import { loadOnnx, createOnnxModel } from '../../../src/formats/onnx/loadOnnx.ts';
import { useBackend } from '../../helpers/engine.ts';
import { buildModel, node, param, ints, values, rawBytes, type GraphSpec } from './buildOnnx.ts';

test.serial.before(async () => {
  await useBackend('cpu');
});

const tmp = mkdtempSync(path.join(tmpdir(), 'onnx-test-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
function write(bytes: Uint8Array, files: Record<string, Uint8Array> = {}): string {
  const dir = path.join(tmp, `m${counter++}`);
  mkdirSync(dir);
  const file = path.join(dir, 'model.onnx');
  writeFileSync(file, bytes);
  for (const [k, v] of Object.entries(files)) writeFileSync(path.join(dir, k), v);
  return file;
}

/** A small CNN: Conv -> BN -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> Softmax. */
function cnn(over: Partial<GraphSpec> = {}): GraphSpec {
  return {
    opset: 14,
    inputs: [{ name: 'x', shape: ['N', 2, 4, 4] }],
    outputs: [{ name: 'probs' }],
    nodes: [
      node('Conv', ['x', 'conv.weight', 'conv.bias'], ['c'], { pads: { ints: [1, 1, 1, 1] } }),
      node('BatchNormalization', ['c', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], ['b']),
      node('Relu', ['b'], ['r']),
      node('GlobalAveragePool', ['r'], ['g']),
      node('Flatten', ['g'], ['f']),
      node('Gemm', ['f', 'fc.weight', 'fc.bias'], ['logits'], { transB: { i: 1 } }),
      node('Softmax', ['logits'], ['probs'], { axis: { i: -1 } }),
    ],
    initializers: [
      param('conv.weight', [3, 2, 3, 3], 1),
      param('conv.bias', [3], 2),
      param('bn.weight', [3], 3, 0.5, 1.5),
      param('bn.bias', [3], 4),
      param('bn.running_mean', [3], 5),
      param('bn.running_var', [3], 6, 0.5, 1.5),
      param('fc.weight', [4, 3], 7),
      param('fc.bias', [4], 8),
    ],
    ...over,
  };
}

async function rejects(t: import('ava').ExecutionContext, p: Promise<unknown>, re: RegExp): Promise<void> {
  const e = await t.throwsAsync(p, { instanceOf: InputError });
  t.regex(e!.message, re);
  t.false(e!.message.includes('\n'), 'one line');
}

test.serial('classifies initializers, finds the final activation, follows the batch', async (t) => {
  const m = await loadOnnx(write(buildModel(cnn())));
  t.deepEqual(m.params.map((p) => p.name), ['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
  t.deepEqual(m.state.map((p) => p.name), ['bn.running_mean', 'bn.running_var']);
  t.deepEqual(m.constants, []);
  t.is(m.opset, 14);
  t.is(m.finalActivation, 'softmax');
  t.deepEqual(m.inputShape, [null, 2, 4, 4]);
  t.deepEqual(m.outputShape, [null, 4]);
  t.is(m.opCounts['Conv'], 1);
  t.is(m.largestActivationPerSample, 3 * 4 * 4);
  t.regex(m.sha256, /^[0-9a-f]{64}$/);
  t.deepEqual(Array.from(m.initialValue('fc.bias')), Array.from(values(4, 8)));
  const ps = m.params.map((p) => tf.tensor(m.initialValue(p.name), p.shape));
  const ss = m.state.map((p) => tf.tensor(m.initialValue(p.name), p.shape));
  tf.tidy(() => {
    for (const n of [1, 5]) {
      const x = tf.tensor(values(n * 32, 9), [n, 2, 4, 4]);
      const probs = m.forward(x, ps, ss, { training: false, skipFinal: false });
      const logits = m.forward(x, ps, ss, { training: false, skipFinal: true });
      t.deepEqual(probs.shape, [n, 4]);
      // skipFinal returns the softmax's input: softmax(logits) == probs.
      const diff = tf.max(tf.abs(tf.sub(tf.softmax(logits), probs))).dataSync()[0]!;
      t.true(diff < 1e-6);
    }
  });
  tf.dispose([...ps, ...ss]);
  m.dispose();
});

test.serial('BatchNormalization: running vs batch statistics, onBatchStats gets the unbiased variance', (t) => {
  const g = cnn({
    nodes: [node('BatchNormalization', ['x', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], ['y'], { epsilon: { f: 0 } })],
    outputs: [{ name: 'y' }],
    initializers: [
      { name: 'bn.weight', shape: [2], data: [1, 1] },
      { name: 'bn.bias', shape: [2], data: [0, 0] },
      { name: 'bn.running_mean', shape: [2], data: [1, 2] },
      { name: 'bn.running_var', shape: [2], data: [4, 9] },
    ],
  });
  const m = createOnnxModel(buildModel(g), 'bn');
  const ps = m.params.map((p) => tf.tensor(m.initialValue(p.name), p.shape));
  const ss = m.state.map((p) => tf.tensor(m.initialValue(p.name), p.shape));
  const xv = values(3 * 32, 4, -2, 3);
  tf.tidy(() => {
    const x = tf.tensor(xv, [3, 2, 4, 4]);
    const yEval = m.forward(x, ps, ss, { training: false, skipFinal: false }).arraySync() as number[][][][];
    t.true(Math.abs(yEval[1]![1]![2]![3]! - (xv[1 * 32 + 16 + 2 * 4 + 3]! - 2) / 3) < 1e-5);
    const seen: string[] = [];
    let variance: number[] = [];
    const yTrain = m.forward(x, ps, ss, {
      training: true,
      skipFinal: false,
      onBatchStats: (mn, vn, _mean, v, info) => {
        seen.push(mn, vn);
        variance = Array.from(v.dataSync());
        t.is(info.count, 48, 'values per channel: 3 samples x 16 positions');
        t.true(Math.abs(info.momentum - 0.9) < 1e-7, 'the default momentum');
      },
    });
    t.deepEqual(seen, ['bn.running_mean', 'bn.running_var']);
    // Channel 0 values: unbiased variance by hand; the output has mean 0 and biased variance 1.
    const c0 = [0, 1, 2].flatMap((n) => Array.from(xv.slice(n * 32, n * 32 + 16)));
    const mu = c0.reduce((a, b) => a + b, 0) / c0.length;
    const ss2 = c0.reduce((a, b) => a + (b - mu) ** 2, 0);
    t.true(Math.abs(variance[0]! - ss2 / (c0.length - 1)) < 1e-4);
    const out0 = tf.slice(yTrain, [0, 0, 0, 0], [3, 1, 4, 4]);
    t.true(Math.abs(tf.mean(out0).dataSync()[0]!) < 1e-5);
    t.true(Math.abs(tf.mean(tf.square(out0)).dataSync()[0]! - 1) < 1e-4);
  });
  tf.dispose([...ps, ...ss]);
  m.dispose();
});

test.serial('float16 / float64 initializers become float32 with a note; int64 stays a constant', (t) => {
  const g: GraphSpec = {
    inputs: [{ name: 'x', shape: ['N', 3] }],
    outputs: [{ name: 'y' }],
    nodes: [node('MatMul', ['x', 'w'], ['a']), node('Add', ['a', 'b'], ['c']), node('Reshape', ['c', 'shape'], ['y'])],
    initializers: [
      { name: 'w', shape: [3, 2], data: [0.5, 1, -2, 0.25, 3, -1], dtype: 'float16' },
      { name: 'b', shape: [2], data: [0.1, 0.2], dtype: 'float64' },
      ints('shape', [-1, 2]),
    ],
  };
  const m = createOnnxModel(buildModel(g), 'dtypes');
  t.deepEqual(m.params.map((p) => p.name), ['w', 'b']);
  t.deepEqual(m.constants.map((p) => [p.name, p.dtype]), [['shape', 'int64']]);
  t.deepEqual(Array.from(m.initialValue('w')), [0.5, 1, -2, 0.25, 3, -1]);
  t.true(Math.abs(m.initialValue('b')[0]! - 0.1) < 1e-7);
  t.is(m.notes.length, 2);
  t.regex(m.notes.join(' | '), /float16 initializer\(s\) converted to float32 \(w\).*float64.*\(b\)/);
  m.dispose();
});

test.serial('serialize round trip: new values load back, op counts unchanged, external data inlined', async (t) => {
  const g = cnn();
  // fc.weight lives in an external file.
  const fcw = g.initializers!.find((i) => i.name === 'fc.weight')!;
  const ext = rawBytes(fcw.data, 'float32');
  fcw.external = { location: 'weights.bin', offset: 8 };
  const file = write(buildModel(g), { 'weights.bin': new Uint8Array([...new Uint8Array(8), ...ext]) });
  const m = await loadOnnx(path.dirname(file));
  t.deepEqual(Array.from(m.initialValue('fc.weight')), Array.from(values(12, 7)));
  const newParams = m.params.map((p, i) => values(p.shape.reduce((a, b) => a * b, 1), 100 + i));
  const newState = m.state.map((p, i) => values(p.shape.reduce((a, b) => a * b, 1), 200 + i, 0.5, 2));
  const bytes = m.serialize(newParams, newState);
  const file2 = write(bytes);
  const m2 = await loadOnnx(file2);
  m2.params.forEach((p, i) => t.deepEqual(Array.from(m2.initialValue(p.name)), Array.from(newParams[i]!), p.name));
  m2.state.forEach((p, i) => t.deepEqual(Array.from(m2.initialValue(p.name)), Array.from(newState[i]!), p.name));
  t.deepEqual(m2.opCounts, m.opCounts);
  t.deepEqual(m2.params.map((p) => p.name), m.params.map((p) => p.name));
  t.not(m2.sha256, m.sha256);
  // Same values back: same bytes, same hash.
  const again = createOnnxModel(m2.serialize(newParams, newState), 'again');
  t.is(Buffer.from(m2.serialize(newParams, newState)).equals(Buffer.from(bytes)), true);
  again.dispose();
  m.dispose();
  m2.dispose();
});

test.serial('readable by the ONNX checker when python3-onnx is installed', async (t) => {
  const m = createOnnxModel(buildModel(cnn()), 'cnn');
  const file = write(m.serialize(m.params.map((p) => m.initialValue(p.name)), m.state.map((p) => m.initialValue(p.name))));
  m.dispose();
  try {
    execFileSync('python3', ['-c', 'import onnx'], { stdio: 'ignore' });
  } catch {
    t.log('python3-onnx is not installed: checker not run');
    t.pass();
    return;
  }
  execFileSync('python3', ['-c', `import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))`, file]);
  t.pass();
});

test.serial('no tensor leak over many forward passes inside tf.tidy', (t) => {
  const m = createOnnxModel(buildModel(cnn()), 'cnn');
  const ps = m.params.map((p) => tf.variable(tf.tensor(m.initialValue(p.name), p.shape)));
  const ss = m.state.map((p) => tf.tensor(m.initialValue(p.name), p.shape));
  const x = tf.tensor(values(3 * 32, 1), [3, 2, 4, 4]);
  const run = () =>
    tf.tidy(() => {
      const y = m.forward(x, ps, ss, { training: true, skipFinal: true, onBatchStats: () => {} });
      return tf.sum(y).dataSync()[0]!;
    });
  run();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) run();
  t.is(tf.memory().numTensors, before);
  tf.dispose([...ps, ...ss, x]);
  const afterModel = tf.memory().numTensors;
  m.dispose();
  t.true(tf.memory().numTensors <= afterModel);
});

// ---- validation failures, one line each

test.serial('opset outside 13..17', async (t) => {
  await rejects(t, loadOnnx(write(buildModel(cnn({ opset: 11 })))), /opset 11; sharpness supports opsets 13 to 17/);
});

test.serial('all unsupported op types in one message with their first node', async (t) => {
  const g = cnn();
  g.nodes.splice(2, 0, node('LRN', ['b'], ['l'], undefined, 'lrn1'), node('Einsum', ['l'], ['e'], undefined, 'ein1'), node('LRN', ['e'], ['l2'], undefined, 'lrn2'));
  g.nodes[5] = node('Relu', ['l2'], ['r']);
  await rejects(t, loadOnnx(write(buildModel(g))), /2 unsupported op type\(s\): LRN \(first at node 'lrn1'\), Einsum \(first at node 'ein1'\)/);
});

test.serial('non-finite initializer: name, count, first index', async (t) => {
  const g = cnn();
  const d = Float32Array.from(g.initializers![6]!.data);
  d[5] = NaN;
  d[7] = Infinity;
  g.initializers![6] = { ...g.initializers![6]!, data: d };
  await rejects(t, loadOnnx(write(buildModel(g))), /initializer 'fc.weight' .* 2 non-finite value\(s\) \(first at flat index 5\)/);
});

test.serial('graph with a cycle, and a missing tensor', async (t) => {
  const cyc = cnn();
  cyc.nodes[2] = node('Add', ['b', 'g'], ['r'], undefined, 'loop');
  await rejects(t, loadOnnx(write(buildModel(cyc))), /not a DAG: node '.*' \(.*\) is on a cycle/);
  const miss = cnn();
  miss.nodes[2] = node('Relu', ['nothing'], ['r'], undefined, 'relu1');
  await rejects(t, loadOnnx(write(buildModel(miss))), /node 'relu1' \(Relu\) .* reads tensor 'nothing', which no node, initializer or graph input provides/);
});

test.serial('two data inputs, two outputs', async (t) => {
  const two = cnn({ inputs: [{ name: 'x', shape: ['N', 2, 4, 4] }, { name: 'z', shape: [1] }] });
  await rejects(t, loadOnnx(write(buildModel(two))), /2 graph inputs that are not initializers \('x', 'z'\)/);
  const outs = cnn({ outputs: [{ name: 'probs' }, { name: 'logits' }] });
  await rejects(t, loadOnnx(write(buildModel(outs))), /2 graph outputs \('probs', 'logits'\)/);
});

test.serial('truncated file, FIFO, directory with no or two models', async (t) => {
  const bytes = buildModel(cnn());
  await rejects(t, loadOnnx(write(bytes.slice(0, Math.floor(bytes.length / 2)))), /not a readable ONNX model/);
  const fifo = path.join(tmp, 'fifo.onnx');
  execFileSync('mkfifo', [fifo]);
  await rejects(t, loadOnnx(fifo), /not a regular file/);
  const empty = path.join(tmp, 'empty');
  mkdirSync(empty);
  await rejects(t, loadOnnx(empty), /holds no \.onnx file/);
  const dir = path.dirname(write(bytes, { 'b.onnx': bytes }));
  await rejects(t, loadOnnx(dir), /holds 2 \.onnx files/);
  await rejects(t, loadOnnx(path.join(tmp, 'nope.onnx')), /does not exist/);
});

test.serial('external data outside the directory, via .., absolute path, symlink, or too short', async (t) => {
  const withLoc = (location: string, files: Record<string, Uint8Array> = {}) => {
    const g = cnn();
    g.initializers![6]!.external = { location };
    return write(buildModel(g), files);
  };
  const outside = path.join(tmp, 'outside.bin');
  writeFileSync(outside, rawBytes(values(12, 7), 'float32'));
  await rejects(t, loadOnnx(withLoc('../outside.bin')), /external data at '\.\.\/outside\.bin'; only paths inside the model directory/);
  await rejects(t, loadOnnx(withLoc(outside)), /only paths inside the model directory/);
  const linked = withLoc('link.bin');
  symlinkSync(outside, path.join(path.dirname(linked), 'link.bin'));
  await rejects(t, loadOnnx(linked), /resolves to .*outside the model directory/);
  await rejects(t, loadOnnx(withLoc('short.bin', { 'short.bin': new Uint8Array(10) })), /too short for initializer 'fc.weight' \(offset 0 \+ length 48\)/);
  const fifoModel = withLoc('pipe.bin');
  execFileSync('mkfifo', [path.join(path.dirname(fifoModel), 'pipe.bin')]);
  await rejects(t, loadOnnx(fifoModel), /external data 'pipe.bin' of initializer 'fc.weight' is not a regular file/);
});

test.serial('a graph that hard-codes the batch size is refused', async (t) => {
  const g = cnn();
  g.nodes[4] = node('Reshape', ['g', 'fixed'], ['f']);
  g.initializers!.push(ints('fixed', [1, 3]));
  await rejects(t, loadOnnx(write(buildModel(g))), /Reshape|batch/);
});

export type { Tensor };
