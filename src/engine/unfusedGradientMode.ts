/**
 * tfjs-layers runs every Conv2D and Dense layer through tf.fused.conv2d / tf.fused.matMul.
 * While a gradient is being taken, tfjs-core already splits those into plain ops when the
 * activation is not linear; with a linear activation (a Conv2D followed by BatchNorm, the
 * logits Dense) it keeps the fused op, which is a customGrad whose backward pass computes
 * the gradients of ALL its inputs eagerly, including the gradient with respect to the
 * data fed to the first layer, which nothing uses. For the built-in CNN (docs/engine.md) at batch
 * 1000 on wasm that is a Conv2DBackpropInput of 40 ms per gradient (a sixth of it) and two
 * per HVP. Here the linear case is split too, the same way tfjs splits the others
 * (conv2d / matMul, then add the bias), so that each input's gradient is computed only if
 * it is needed, by the registered (lazy) gradients of Conv2D and BatchMatMul.
 *
 * Values do not change (the same arithmetic in two kernels instead of one); outside
 * gradient mode the fused ops run as before. This replaces two functions of the `fused`
 * namespace object that tfjs-core exports and tfjs-layers calls through; a test checks that
 * the layers still go through it.
 */
import { tf } from './tf.ts';

type FusedConv2dArgs = Parameters<typeof tf.fused.conv2d>[0];
type FusedMatMulArgs = Parameters<typeof tf.fused.matMul>[0];
interface FusedOps {
  conv2d: (args: FusedConv2dArgs) => tf.Tensor;
  matMul: (args: FusedMatMulArgs) => tf.Tensor;
}

const fused = tf.fused as unknown as FusedOps;
const originalConv2d = fused.conv2d;
const originalMatMul = fused.matMul;

function inGradientMode(): boolean {
  return ((tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth ?? 0) > 0;
}

const isLinear = (activation: string | undefined) => (activation ?? 'linear') === 'linear';

function conv2d(args: FusedConv2dArgs): tf.Tensor {
  if (!inGradientMode() || !isLinear(args.activation) || (args.dataFormat ?? 'NHWC') !== 'NHWC') return originalConv2d(args);
  const y = tf.conv2d(args.x as tf.Tensor4D, args.filter as tf.Tensor4D, args.strides, args.pad, 'NHWC', args.dilations, args.dimRoundingMode);
  return args.bias != null ? tf.add(y, args.bias) : y;
}

function matMul(args: FusedMatMulArgs): tf.Tensor {
  if (!inGradientMode() || !isLinear(args.activation)) return originalMatMul(args);
  const y = tf.matMul(args.a, args.b, args.transposeA, args.transposeB);
  return args.bias != null ? tf.add(y, args.bias) : y;
}

/** Whether tf.fused.conv2d / matMul are the gradient-mode-splitting versions above. */
export function unfusedGradientModeInstalled(): boolean {
  return fused.conv2d === conv2d && fused.matMul === matMul;
}

let enabled = true;

/** Installs the split unless useUnfusedGradientMode(false) turned it off (idempotent). */
export function installUnfusedGradientMode(): void {
  if (!enabled || unfusedGradientModeInstalled()) return;
  fused.conv2d = conv2d;
  fused.matMul = matMul;
}

/** Turns the split on (the default) or off, putting tfjs's fused ops back (tests and benchmarks compare both). */
export function useUnfusedGradientMode(on: boolean): void {
  enabled = on;
  if (on) installUnfusedGradientMode();
  else {
    fused.conv2d = originalConv2d;
    fused.matMul = originalMatMul;
  }
}
