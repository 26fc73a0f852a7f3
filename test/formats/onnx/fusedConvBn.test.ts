/**
 * ONNX Conv -> BatchNormalization (-> Relu) fused into one convolution for values only
 * (OnnxGraph's RunOptions.fuse): equal to the node-by-node run up to float32 rounding, on
 * PyTorch exports (fixtures/onnx: a BN CNN, a ResNet) and on built graphs with a bias, no
 * Relu, a grouped conv, 1-D convs; chains whose intermediate tensors something else reads
 * (a second reader) run unfused, bit for bit as before; training mode
 * never fuses.
 */
import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tf, type Tensor } from '../../../src/engine/tf.ts';
import { loadOnnx } from '../../../src/formats/onnx/loadOnnx.ts';
import type { OnnxModel } from '../../../src/formats/onnx/OnnxModel.ts';
import { useBackend } from '../../helpers/engine.ts';
import { buildModel, node, param, type GraphSpec, type NodeSpec } from './buildOnnx.ts';

test.before(async () => {
  await useBackend('wasm');
});

const tmp = mkdtempSync(path.join(tmpdir(), 'onnx-fuse-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
function write(bytes: Uint8Array): string {
  const dir = path.join(tmp, `m${counter++}`);
  mkdirSync(dir);
  const file = path.join(dir, 'model.onnx');
  writeFileSync(file, bytes);
  return file;
}

function relDiff(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let d = 0;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    d = Math.max(d, Math.abs(x[i]! - y[i]!));
    s = Math.max(s, Math.abs(y[i]!));
  }
  return d / s;
}

function initialTensors(m: OnnxModel): { ps: Tensor[]; ss: Tensor[] } {
  return {
    ps: m.params.map((p) => tf.tensor(m.initialValue(p.name), p.shape)),
    ss: m.state.map((p) => tf.tensor(m.initialValue(p.name), p.shape)),
  };
}

/** The fused and the node-by-node forward pass of `m` on x. */
function both(m: OnnxModel, x: Tensor): { fused: Tensor; plain: Tensor } {
  const { ps, ss } = initialTensors(m);
  const plain = tf.tidy(() => m.forward(x, ps, ss, { training: false, skipFinal: true }));
  const fused = tf.tidy(() => m.forward(x, ps, ss, { training: false, skipFinal: true, fuse: true }));
  tf.dispose([...ps, ...ss]);
  return { fused, plain };
}

for (const name of ['cnn_bn', 'resnet']) {
  test(`PyTorch export ${name}: the fused forward equals the node-by-node one within float32 rounding, and really fuses`, async (t) => {
    const m = await loadOnnx(`fixtures/onnx/${name}/model.onnx`);
    const shape = m.inputShape.map((d) => d ?? 5);
    const x = tf.randomNormal(shape, 0, 1, 'float32', 4);
    const { fused, plain } = both(m, x);
    const rel = relDiff(fused, plain);
    t.true(rel < 2e-6, `relative difference ${rel}`);
    t.true(rel > 0, 'a different computation ran (the fold)');
    tf.dispose([x, fused, plain]);
    m.dispose();
  });
}

const CHANNELS = 4;
function graph(nodes: NodeSpec[], opts: { group?: number; rank?: 3 | 4 } = {}): GraphSpec {
  const group = opts.group ?? 1;
  const rank = opts.rank ?? 4;
  const kernel = rank === 4 ? [3, 3] : [3];
  return {
    opset: 14,
    inputs: [{ name: 'x', shape: rank === 4 ? ['N', CHANNELS, 6, 6] : ['N', CHANNELS, 9] }],
    outputs: [{ name: 'y' }],
    nodes,
    initializers: [
      param('w', [CHANNELS, CHANNELS / group, ...kernel], 1),
      param('b', [CHANNELS], 2),
      param('bn.weight', [CHANNELS], 3, 0.5, 1.5),
      param('bn.bias', [CHANNELS], 4),
      param('bn.running_mean', [CHANNELS], 5),
      param('bn.running_var', [CHANNELS], 6, 0.5, 1.5),
    ],
  };
}
const convNode = (inputs = ['x', 'w', 'b'], attrs: NodeSpec['attrs'] = { pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } }) => node('Conv', inputs, ['c'], attrs);
const bnNode = node('BatchNormalization', ['c', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], ['n'], { epsilon: { f: 1e-3 } });

const cases: { name: string; spec: GraphSpec; fuses: boolean }[] = [
  { name: 'Conv(bias) -> BN -> Relu', spec: graph([convNode(), bnNode, node('Relu', ['n'], ['y'])]), fuses: true },
  { name: 'Conv(no bias) -> BN', spec: graph([convNode(['x', 'w']), { ...bnNode, outputs: ['y'] }]), fuses: true },
  { name: 'grouped Conv -> BN -> Relu', spec: graph([convNode(['x', 'w', 'b'], { group: { i: 2 }, pads: { ints: [1, 1, 1, 1] } }), bnNode, node('Relu', ['n'], ['y'])], { group: 2 }), fuses: true },
  { name: '1-D Conv -> BN -> Relu', spec: graph([convNode(['x', 'w', 'b'], { pads: { ints: [1, 1] } }), bnNode, node('Relu', ['n'], ['y'])], { rank: 3 }), fuses: true },
  {
    name: 'Conv read twice (BN and Add): unfused',
    spec: graph([convNode(), bnNode, node('Add', ['n', 'c'], ['y'])]),
    fuses: false,
  },
  { name: 'BN output read twice (Relu and Add): Conv and BN fuse, the Relu runs alone', spec: graph([convNode(), bnNode, node('Relu', ['n'], ['r']), node('Add', ['r', 'n'], ['y'])]), fuses: true },
];

for (const c of cases) {
  test(`built graph, ${c.name}`, async (t) => {
    const m = await loadOnnx(write(buildModel(c.spec)));
    const shape = m.inputShape.map((d) => d ?? 3);
    const x = tf.randomNormal(shape, 0, 1, 'float32', 7);
    const { fused, plain } = both(m, x);
    const rel = relDiff(fused, plain);
    if (c.fuses) {
      t.true(rel < 2e-6 && rel > 0, `relative difference ${rel}`);
    } else {
      t.is(rel, 0, 'unfused: the same computation, bit for bit');
    }
    tf.dispose([x, fused, plain]);
    m.dispose();
  });
}

test('training mode never fuses: batch statistics, bit for bit the node-by-node run', async (t) => {
  const m = await loadOnnx(write(buildModel(graph([convNode(), bnNode, node('Relu', ['n'], ['y'])]))));
  const x = tf.randomNormal([3, CHANNELS, 6, 6], 0, 1, 'float32', 9);
  const { ps, ss } = initialTensors(m);
  const a = tf.tidy(() => m.forward(x, ps, ss, { training: true, skipFinal: true }));
  const b = tf.tidy(() => m.forward(x, ps, ss, { training: true, skipFinal: true, fuse: true }));
  t.is(relDiff(a, b), 0);
  tf.dispose([x, a, b, ...ps, ...ss]);
  m.dispose();
});
