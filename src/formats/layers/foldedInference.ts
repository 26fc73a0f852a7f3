/**
 * The inference forward pass of a layers analysis model (Sequential or functional) with each Conv2D ->
 * BatchNormalization (-> ReLU) run as ONE fused convolution, for values only (losses,
 * accuracies: no gradient is ever taken through it).
 *
 * Why: on the wasm backend the eval-mode BatchNorm kernel divides per element in double
 * precision and makes its own pass over the convolution's output, as does the ReLU; on the
 * built-in CNN those two passes cost a third of the forward time. In eval mode BatchNorm is
 * affine per channel, y = s (z - mean) + beta with s = gamma / sqrt(var + eps), so
 * BN(conv(x, k) + c) = conv(x, k s) + (c - mean) s + beta: the convolution with a scaled
 * kernel, a bias and a fused ReLU (docs/engine.md, "Folded inference").
 *
 * The folded constants are computed from the layers' current weights at each call, so
 * moving the point (assigning the variables) moves them too. Values equal the layers'
 * own forward pass up to float32 rounding (a product taken in another order); tests bound
 * the difference. Anything else (other layers, a BatchNorm elsewhere, a convolution whose
 * output another layer also reads) runs as the layer itself runs: `null` when nothing folds.
 */
import { tf, tfl, type Tensor } from '../../engine/tf.ts';

type Weights = Record<string, Tensor>;

/** A layer's weights by their short name ('kernel', 'gamma', 'moving_mean', ...). */
function weightsOf(layer: tfl.layers.Layer): Weights {
  const out: Weights = {};
  for (const w of layer.weights) out[w.originalName.split('/').pop()!] = w.read();
  return out;
}

function configOf(layer: tfl.layers.Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

/** Whether BatchNormalization layer `bn` normalises the last axis of a rank-4 input (NHWC channels). */
function lastAxis(bn: tfl.layers.Layer): boolean {
  const axis = configOf(bn)['axis'];
  const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : null) : axis;
  return a === -1 || a === 3;
}

/** Whether Conv2D layer `conv` followed by `bn` can be folded (see module comment). */
function foldable(conv: tfl.layers.Layer, bn: tfl.layers.Layer | undefined): bn is tfl.layers.Layer {
  if (!bn || conv.getClassName() !== 'Conv2D' || bn.getClassName() !== 'BatchNormalization') return false;
  const c = configOf(conv);
  return (c['activation'] ?? 'linear') === 'linear' && (c['dataFormat'] ?? 'channelsLast') === 'channelsLast' && lastAxis(bn);
}

function isRelu(layer: tfl.layers.Layer | undefined): boolean {
  return layer !== undefined && layer.getClassName() === 'Activation' && configOf(layer)['activation'] === 'relu';
}

/** conv -> bn (-> relu) as one fused convolution (see module comment). */
function foldedConv(x: Tensor, conv: tfl.layers.Layer, bn: tfl.layers.Layer, relu: boolean): Tensor {
  const c = configOf(conv);
  const b = configOf(bn);
  const cw = weightsOf(conv);
  const bw = weightsOf(bn);
  const eps = b['epsilon'] as number;
  const gamma = bw['gamma'];
  const beta = bw['beta'];
  const scale = tf.div(gamma ?? tf.scalar(1), tf.sqrt(tf.add(bw['moving_variance']!, eps)));
  const shifted = cw['bias'] ? tf.sub(cw['bias'], bw['moving_mean']!) : tf.neg(bw['moving_mean']!);
  const bias = beta ? tf.add(tf.mul(shifted, scale), beta) : tf.mul(shifted, scale);
  const strides = c['strides'] as [number, number];
  const dilations = c['dilationRate'] as [number, number];
  return tf.fused.conv2d({
    x: x as tf.Tensor4D,
    filter: tf.mul(cw['kernel']!, scale) as tf.Tensor4D,
    strides,
    pad: c['padding'] as 'same' | 'valid',
    dataFormat: 'NHWC',
    dilations,
    bias,
    activation: relu ? 'relu' : 'linear',
  });
}

type Sym = tfl.SymbolicTensor;

/** The one layer reading `t` when exactly one layer (once) does, else null. */
function soleConsumer(layer: tfl.layers.Layer): tfl.layers.Layer | null {
  const out = layer.outboundNodes;
  return out.length === 1 ? out[0]!.outboundLayer : null;
}

/**
 * The folded inference forward of `model` (see module comment), or null when a layer is
 * applied more than once (shared layers), the model has several inputs or outputs, or
 * nothing folds. The graph runs layer by layer in the model's (topological) order, each
 * layer as it runs itself, except Conv2D -> BatchNormalization (-> ReLU) chains whose
 * intermediate outputs nothing else reads. Call inside tf.tidy.
 */
export function foldedInference(model: tfl.LayersModel): ((x: Tensor) => Tensor) | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (layers.some((l) => l.inboundNodes.length !== 1)) return null;
  // conv layer -> [bn, relu?] for each chain that folds
  const chains = new Map<tfl.layers.Layer, { bn: tfl.layers.Layer; relu: tfl.layers.Layer | null }>();
  for (const l of layers) {
    const bn = soleConsumer(l);
    if (!bn || !foldable(l, bn) || bn.inboundNodes[0]!.inputTensors.length !== 1) continue;
    const next = soleConsumer(bn);
    const relu = next && isRelu(next) && next.inboundNodes[0]!.inputTensors.length === 1 ? next : null;
    chains.set(l, { bn, relu });
  }
  if (chains.size === 0) return null;
  const folded = new Set([...chains.values()].flatMap((c) => (c.relu ? [c.bn, c.relu] : [c.bn])));
  const input = model.inputs[0]!;
  const output = model.outputs[0]!;
  return (x: Tensor) => {
    const values = new Map<number, Tensor>([[input.id, x]]);
    const valueOf = (t: Sym): Tensor => {
      const v = values.get(t.id);
      if (!v) throw new Error(`foldedInference: no value for ${t.name} (the layers are not in topological order)`);
      return v;
    };
    for (const layer of layers) {
      if (folded.has(layer)) continue;
      const node = layer.inboundNodes[0]!;
      const ins = node.inputTensors.map(valueOf);
      const chain = chains.get(layer);
      if (chain) {
        // A Conv2D's input is a rank-4 batch of images (tfjs-layers refuses any other).
        const last = chain.relu ?? chain.bn;
        values.set(last.inboundNodes[0]!.outputTensors[0]!.id, foldedConv(ins[0]!, layer, chain.bn, chain.relu !== null));
        continue;
      }
      const out = layer.apply(ins.length === 1 ? ins[0]! : ins, { training: false }) as Tensor | Tensor[];
      const outs = Array.isArray(out) ? out : [out];
      node.outputTensors.forEach((t, i) => values.set(t.id, outs[i]!));
    }
    return valueOf(output);
  };
}
