import { tf, type Scalar, type Tensor } from './tf.ts';
import { EngineError } from '../errors.ts';
import { ensureWasmFastKernels } from './wasmFastKernels.ts';
import { installUnfusedGradientMode } from './unfusedGradientMode.ts';

/**
 * First and second derivatives of a scalar function of some tensors (typically a model's
 * trainable variables, which the function closes over). Built on `tf.engine().gradients`
 * with `allowNoGradients`, so that a missing block is ours to detect and name rather
 * than tfjs's to drop or to report without saying which.
 */
export type ScalarFn = () => Scalar;

export interface ValueAndGrad {
  value: number;
  grads: Tensor[];
}

function rawGradients(f: ScalarFn, xs: readonly Tensor[]): { value: Scalar; grads: (Tensor | undefined)[] } {
  // Speed only, values unchanged: fast versions of the wasm kernels gradients spend their time
  // in, and no fused (customGrad) conv / matMul whose backward computes unneeded gradients.
  ensureWasmFastKernels();
  installUnfusedGradientMode();
  const { value, grads } = tf.engine().gradients(f, xs as Tensor[], undefined, true);
  return { value: value as Scalar, grads: grads as (Tensor | undefined)[] };
}

function label(xs: readonly Tensor[], i: number, names?: readonly string[]): string {
  return names?.[i] ?? `#${i} (shape [${xs[i]!.shape.join(',')}])`;
}

/**
 * f and its gradient. A block with no path to f (a weight the loss does not use) has
 * gradient zero: tfjs's first-order autodiff reports that case as `undefined`, reliably.
 */
export function valueAndGrad(f: ScalarFn, xs: readonly Tensor[]): ValueAndGrad {
  let value = NaN;
  const grads = tf.tidy(() => {
    const r = rawGradients(f, xs);
    value = r.value.dataSync()[0]!;
    return r.grads.map((g, i) => g ?? tf.zerosLike(xs[i]!));
  });
  return { value, grads };
}

/**
 * Hessian-vector product H v, H the Hessian of f at xs, by double backward:
 * the gradient of <grad f, v>. Needs installSecondOrderGradients() (done by initEngine).
 * A block tfjs leaves undefined is an error, never a silent zero: every known
 * way tfjs gets an HVP wrong without failing shows up as such a hole.
 */
export function hessianVectorProduct(
  f: ScalarFn,
  xs: readonly Tensor[],
  v: readonly Tensor[],
  names?: readonly string[],
): Tensor[] {
  if (v.length !== xs.length) {
    throw new EngineError(`hvp: v has ${v.length} blocks but there are ${xs.length} parameters`);
  }
  return tf.tidy(() => {
    const gradDotV = (): Scalar => {
      const { grads } = rawGradients(f, xs);
      const terms: Tensor[] = [];
      grads.forEach((g, i) => {
        if (g !== undefined) terms.push(tf.sum(tf.mul(g, v[i]!)));
      });
      if (terms.length === 0) throw new EngineError('hvp: the function does not depend on any parameter');
      return tf.addN(terms) as Scalar;
    };
    const { grads } = rawGradients(gradDotV, xs);
    const missing = grads.flatMap((g, i) => (g === undefined ? [label(xs, i, names)] : []));
    if (missing.length > 0) {
      throw new EngineError(
        `hvp: TensorFlow.js returned no second derivative for ${missing.join(', ')}; an op on the path ` +
          `lacks a correct second-order gradient (see README, "Second-order autodiff")`,
      );
    }
    return grads as Tensor[];
  });
}
