/**
 * The values an ONNX graph computes with: engine tensors for anything that may depend on
 * the input or the parameters, host tensors for constants and shapes. An op that gets only
 * host values and has a host rule computes on the host; otherwise host operands become
 * engine tensors (persistent ones for constants the loader registered, temporaries else).
 */
import { tf, type Tensor } from '../../../engine/tf.ts';
import { HostTensor, isHost } from '../HostTensor.ts';
import type { Attributes } from '../attributes.ts';

export type Value = Tensor | HostTensor;

/** Raised by an op for a bad attribute or operand; the graph runner names the node. */
export class OpError extends Error {}

export interface OpContext {
  attrs: Attributes;
  opset: number;
  /** Number of outputs the node declares (some optional ones may be ''). */
  outputs: number;
  /** The node's input names ('' for an omitted optional input). */
  inputNames: readonly string[];
  training: boolean;
  onBatchStats?: BatchStatsCallback;
}

/** What a BatchNormalization node reports besides its batch moments. */
export interface BatchStatsInfo {
  /** Values per channel the moments were taken over (batch x positions). */
  count: number;
  /** The node's `momentum` attribute (ONNX: running = momentum * running + (1 - momentum) * batch; default 0.9). */
  momentum: number;
}

/**
 * Called once per BatchNormalization node run with batch statistics: the names of its
 * running mean and variance inputs, the batch mean and the UNBIASED batch variance
 * (count / (count - 1) times the biased one), both [C], and `info`.
 */
export type BatchStatsCallback = (meanName: string, varName: string, mean: Tensor, variance: Tensor, info: BatchStatsInfo) => void;

const persistent = new WeakMap<HostTensor, Tensor>();

/** Registers a long-lived engine copy of a host constant (the caller disposes it). */
export function registerPersistent(h: HostTensor): Tensor {
  const t = tf.tensor(h.dtype === 'float32' ? Float32Array.from(h.data) : Int32Array.from(h.data), h.shape, engineDtype(h.dtype));
  persistent.set(h, t);
  return t;
}

export function engineDtype(d: HostTensor['dtype']): 'float32' | 'int32' | 'bool' {
  return d === 'float32' ? 'float32' : d === 'bool' ? 'bool' : 'int32';
}

/** The value as an engine tensor. */
export function T(v: Value): Tensor {
  if (!isHost(v)) return v;
  const p = persistent.get(v);
  if (p !== undefined && !p.isDisposed) return p;
  const d = engineDtype(v.dtype);
  return tf.tensor(d === 'float32' ? Float32Array.from(v.data) : d === 'bool' ? Uint8Array.from(v.data) : Int32Array.from(v.data), v.shape, d);
}

/** The value as a float32 engine tensor. */
export function F(v: Value): Tensor {
  const t = T(v);
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}

export function shapeOf(v: Value): number[] {
  return [...v.shape];
}

export function allHost(vs: readonly (Value | undefined)[]): boolean {
  return vs.every((v) => v === undefined || isHost(v));
}

/** A host operand's values (shape, axes, indices, scalars); an engine tensor here is an error. */
export function hostValues(v: Value | undefined, what: string): number[] {
  if (v === undefined) throw new OpError(`${what} is missing`);
  if (!isHost(v)) throw new OpError(`${what} must be a constant (or computed from shapes only), but it depends on the input`);
  return Array.from(v.data);
}

export function optionalHostValues(v: Value | undefined, what: string): number[] | undefined {
  return v === undefined ? undefined : hostValues(v, what);
}

export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) throw new OpError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}
