import { tf, type Scalar, type Tensor } from '../engine/tf.ts';
import { valueAndGrad, hessianVectorProduct } from '../engine/autodiff.ts';
import { ensureWasmFastKernels } from '../engine/wasmFastKernels.ts';
import * as pv from '../engine/paramVector.ts';
import type { ParamVector } from '../engine/paramVector.ts';
import type { Dataset } from '../io/dataset.ts';
import { InputError, NumericError, UsageError } from '../errors.ts';
import { Loss, correctFromLogits, foldFor, lossFromLogits } from './losses.ts';
import { asNetwork, type NetworkLike } from '../formats/layers/layersNetwork.ts';
import { forwardValues, unitsOf } from '../formats/Network.ts';
import { selectParams } from './selectParams.ts';
import { AUTO_BATCH_SIZE, resolveBatchSize, type BatchSize } from './objectiveDefaults.ts';
import { BnMode, newCost, type Cost, type LossAndAccuracy, type Objective } from './Objective.ts';

export interface ModelObjectiveOptions {
  loss: Loss;
  bn?: BnMode;
  /** lambda of the lambda ||w||^2 term (over all trainable weights). */
  l2?: number;
  /** Samples per chunk; the result does not depend on it (up to float32 rounding). */
  batchSize?: BatchSize;
  /** Inputs are kept on the backend up to this many bytes, else uploaded per chunk. */
  cacheBytes?: number;
  /**
   * Comma-separated names or globs (--params): the objective is a function of these
   * parameter blocks only, the others held at the checkpoint's values.
   */
  params?: string | undefined;
  /**
   * Values for the network's non-trainable weights (AnalysisNet.state order) instead of the
   * checkpoint's: a landscape point between checkpoints with BatchNorm.
   */
  state?: ParamVector;
  /**
   * Which chunks this copy holds and evaluates (default all): a worker thread of a
   * data-parallel objective holds its own share only (parallel/DataParallelObjective.ts).
   */
  ownChunks?: (chunk: number) => boolean;
}

const DEFAULT_CACHE_BYTES = 1 << 30;

interface Chunk {
  start: number;
  size: number;
  x?: Tensor;
  y?: Tensor;
}

/** --batch-size: an integer >= 1 or 'auto' (a numeric string is read as its number). */
export function validateBatchSize(batchSize: unknown): BatchSize {
  if (batchSize === AUTO_BATCH_SIZE) return batchSize;
  const n = typeof batchSize === 'string' && /^\s*\d+\s*$/.test(batchSize) ? Number(batchSize) : batchSize;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new UsageError(`--batch-size must be an integer >= 1 or auto, got ${String(batchSize)}`);
  }
  return n;
}

export function validateL2(l2: unknown): number {
  if (typeof l2 !== 'number' || !Number.isFinite(l2) || l2 < 0) {
    throw new UsageError(`--l2 must be a finite number >= 0, got ${String(l2)}`);
  }
  return l2;
}

/** One chunk's terms, as the objective sums them (chunk c weighted by size / n). */
export interface ChunkLossAndCorrect {
  loss: number;
  /** Samples right (fractional for bce); null for mse. */
  correct: number | null;
}

/**
 * A network and its data in fixed chunks, evaluated one chunk at a time: what the model
 * objective sums, in chunk order, in this thread (createModelObjective) or over worker
 * threads (parallel/DataParallelObjective.ts). The chunks depend on the data and the
 * network only (resolveBatchSize), never on a worker count.
 */
export interface ChunkedModel {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly dimension: number;
  readonly numSamples: number;
  /** The checkpoint's values of the measured blocks (owned). */
  readonly params: ParamVector;
  readonly l2: number;
  /** Samples in each chunk, in order (all chunks, held or not). */
  readonly chunkSizes: readonly number[];
  /** Runs fn with the network's measured weights set to w (restored after). */
  at<T>(w: ParamVector, fn: () => T): T;
  /** Inside at(): chunk c's loss (float32, as read back). */
  chunkLoss(c: number): number;
  chunkLossAndCorrect(c: number): ChunkLossAndCorrect;
  chunkGrad(c: number): { value: number; grads: Tensor[] };
  chunkHvp(c: number, v: ParamVector): Tensor[];
  dispose(): void;
}

/**
 * Opens a network on a dataset as chunks (see ChunkedModel); options as createModelObjective.
 * The network is copied (Network.analysisNet), so evaluating at any w never touches the
 * caller's model.
 */
export async function openChunkedModel(model: NetworkLike, data: Dataset, opts: ModelObjectiveOptions): Promise<ChunkedModel> {
  const network = asNetwork(model);
  const loss = opts.loss;
  const bn = opts.bn ?? BnMode.eval;
  const l2 = validateL2(opts.l2 ?? 0);
  const batchSize = resolveBatchSize(validateBatchSize(opts.batchSize ?? AUTO_BATCH_SIZE), network);
  if (data.n === 0) throw new InputError(`data: ${data.spec} is empty`);
  if (loss === Loss.mse && data.targets.kind !== 'regression' && data.targets.kind !== 'classes') {
    throw new InputError(`data: ${data.spec} has no targets for mse`);
  }
  if (loss === Loss.ce && data.targets.kind !== 'classes') {
    throw new UsageError(`--loss ce needs class labels, but ${data.spec} has regression targets; use --loss mse`);
  }

  ensureWasmFastKernels();
  const net = await network.analysisNet(foldFor(loss));
  if (opts.state !== undefined) {
    if (opts.state.length !== net.state.length) {
      net.dispose();
      throw new UsageError(`objective: ${opts.state.length} non-trainable weights given, the network has ${net.state.length}`);
    }
    net.state.forEach((v, i) => v.assign(opts.state![i]!));
  }
  let vars = net.vars;
  let names = [...net.names];
  if (opts.params !== undefined) {
    const chosen = selectParams(names, opts.params);
    vars = chosen.map((i) => net.vars[i]!);
    names = chosen.map((i) => names[i]!);
  }
  const shapes = vars.map((v) => v.shape.slice());
  const base = vars.map((v) => v.clone());
  const outputUnits = unitsOf(network.outputShape);
  const sampleSize = data.sampleShape.reduce((a: number, b: number) => a * b, 1);

  const targetTensor = (start: number, size: number): Tensor => {
    const t = data.targets;
    if (t.kind === 'classes') {
      const labels = t.labels.subarray(start, start + size);
      if (loss === Loss.ce) return tf.tensor1d(labels, 'int32');
      // mse / bce on class ids: one-hot over the output units, or the id itself for one unit.
      if (outputUnits === 1) return tf.tensor2d(Float32Array.from(labels), [size, 1]);
      return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), outputUnits), 'float32'));
    }
    return tf.tensor2d(t.values.subarray(start * t.dim, (start + size) * t.dim), [size, t.dim]);
  };
  const inputTensor = (start: number, size: number): Tensor =>
    tf.tensor(data.x.subarray(start * sampleSize, (start + size) * sampleSize), [size, ...data.sampleShape], 'float32');

  const owns = opts.ownChunks ?? (() => true);
  const chunks: Chunk[] = [];
  let heldSamples = 0;
  for (let start = 0; start < data.n; start += batchSize) {
    const size = Math.min(batchSize, data.n - start);
    if (owns(chunks.length)) heldSamples += size;
    chunks.push({ start, size });
  }
  // Inputs kept on the backend when this copy's share of them fits.
  const cache = heldSamples * sampleSize * 4 <= (opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
  if (cache) {
    chunks.forEach((c, i) => {
      if (owns(i)) Object.assign(c, { x: inputTensor(c.start, c.size), y: targetTensor(c.start, c.size) });
    });
  }
  const withChunk = <T>(i: number, fn: (x: Tensor, y: Tensor) => T): T => {
    const c = chunks[i];
    if (c === undefined || !owns(i)) throw new Error(`objective: chunk ${i} is not held by this copy`);
    if (c.x && c.y) return fn(c.x, c.y);
    const x = inputTensor(c.start, c.size);
    const y = targetTensor(c.start, c.size);
    try {
      return fn(x, y);
    } finally {
      tf.dispose([x, y]);
    }
  };

  const training = bn === BnMode.train;
  const perSample = (out: Tensor): Tensor => (out.rank > 2 ? tf.reshape(out, [out.shape[0]!, -1]) : out);
  const logitsOf = (x: Tensor): Tensor => perSample(net.apply(x, training));
  // Values only (no gradient through them): the network's faster inference pass where it has one.
  const valueLogitsOf = (x: Tensor): Tensor => perSample(forwardValues(net, x, training));
  const lossOfLogits = (logits: Tensor, y: Tensor): Scalar => lossFromLogits(loss, logits, y);
  const lossOn = (x: Tensor, y: Tensor): Scalar => lossOfLogits(logitsOf(x), y);
  /** The loss and the number of correct samples (null for mse) from one forward pass. */
  const lossAndCorrectOn = (x: Tensor, y: Tensor): ChunkLossAndCorrect => {
    const [l, hits] = tf.tidy((): Tensor[] => {
      const logits = valueLogitsOf(x);
      const value = lossOfLogits(logits, y);
      const k = correctFromLogits(loss, logits, y);
      return k ? [value, k] : [value];
    });
    const out = { loss: l!.dataSync()[0]!, correct: hits === undefined ? null : hits.dataSync()[0]! };
    tf.dispose([l!, ...(hits ? [hits] : [])]);
    return out;
  };

  let disposed = false;
  return {
    names,
    shapes,
    dimension: pv.sizeOf(shapes),
    numSamples: data.n,
    params: base,
    l2,
    chunkSizes: chunks.map((c) => c.size),
    at<T>(w: ParamVector, fn: () => T): T {
      if (disposed) throw new Error('objective: used after dispose()');
      if (w.length !== vars.length) {
        throw new UsageError(`objective: a parameter vector has ${w.length} blocks, the model has ${vars.length}`);
      }
      const isBase = w === base;
      if (!isBase) vars.forEach((v, i) => v.assign(w[i]!));
      try {
        return fn();
      } finally {
        if (!isBase) vars.forEach((v, i) => v.assign(base[i]!));
      }
    },
    chunkLoss: (c) => withChunk(c, (x, y) => tf.tidy(() => lossOfLogits(valueLogitsOf(x), y).dataSync()[0]!)),
    chunkLossAndCorrect: (c) => withChunk(c, lossAndCorrectOn),
    chunkGrad: (c) => withChunk(c, (x, y) => valueAndGrad(() => lossOn(x, y), vars)),
    chunkHvp: (c, v) => withChunk(c, (x, y) => hessianVectorProduct(() => lossOn(x, y), vars, v, names)),
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const c of chunks) tf.dispose([c.x, c.y].filter((t): t is Tensor => t !== undefined));
      pv.dispose(base);
      net.dispose();
    },
  };
}

/**
 * The sums over all chunks, in chunk order, chunk c weighted by w_c = size_c / n: the loss
 * sum_c w_c L_c in float64; gradients and HVPs as acc <- acc + w_c g_c in float32 (w_c
 * rounded to float32), which a data-parallel sum reproduces bit for bit (addScaledInPlace).
 */
export interface ChunkSums {
  loss(w: ParamVector): number;
  lossAndCorrect(w: ParamVector): ChunkLossAndCorrect;
  grad(w: ParamVector): { value: number; grad: Tensor[] };
  hvp(w: ParamVector, v: ParamVector): Tensor[];
}

/** The chunk sums computed in this thread, on tensors. */
export function localChunkSums(m: ChunkedModel): ChunkSums {
  const n = m.numSamples;
  const count = m.chunkSizes.length;
  const weightedSum = (term: (c: number) => Tensor[]): Tensor[] => {
    let acc: Tensor[] | null = null;
    for (let c = 0; c < count; c++) {
      const weight = m.chunkSizes[c]! / n;
      const g = term(c);
      const next: Tensor[] = tf.tidy(() => g.map((h, i) => (acc ? tf.add(acc[i]!, tf.mul(h, weight)) : tf.mul(h, weight))));
      pv.dispose(g, acc ?? undefined);
      acc = next;
    }
    return acc!;
  };
  return {
    loss: (w) =>
      m.at(w, () => {
        let total = 0;
        for (let c = 0; c < count; c++) total += (m.chunkSizes[c]! / n) * m.chunkLoss(c);
        return total;
      }),
    lossAndCorrect: (w) =>
      m.at(w, () => {
        let total = 0;
        let correct: number | null = 0;
        for (let c = 0; c < count; c++) {
          const r = m.chunkLossAndCorrect(c);
          total += (m.chunkSizes[c]! / n) * r.loss;
          correct = r.correct === null || correct === null ? null : correct + r.correct;
        }
        return { loss: total, correct };
      }),
    grad: (w) =>
      m.at(w, () => {
        let value = 0;
        const grad = weightedSum((c) => {
          const r = m.chunkGrad(c);
          value += (m.chunkSizes[c]! / n) * r.value;
          return r.grads;
        });
        return { value, grad };
      }),
    hvp: (w, v) => m.at(w, () => weightedSum((c) => m.chunkHvp(c, v))),
  };
}

/**
 * acc <- acc + fround(weight) * g in float32, element by element, as the tensor sum does
 * (each product and sum rounded to float32: float64 holds a float32 product exactly, and
 * rounding a float64 sum of two float32 values to float32 is the correctly rounded float32
 * sum). `acc` null: the first term, fround(weight) * g.
 */
export function addScaledInPlace(acc: Float32Array, g: Float32Array, weight: number, first: boolean): void {
  const wf = Math.fround(weight);
  if (first) for (let i = 0; i < g.length; i++) acc[i] = wf * g[i]!;
  else for (let i = 0; i < g.length; i++) acc[i] = acc[i]! + Math.fround(wf * g[i]!);
}

/**
 * The objective from a model's chunk sums: counts the passes, adds lambda ||w||^2 and stops
 * on a non-finite loss. `release` frees what the sums hold besides the model.
 */
export function objectiveFromChunkSums(m: ChunkedModel, sums: ChunkSums, release: () => void = () => {}): Objective {
  const { l2 } = m;
  const base = m.params;
  const cost: Cost = newCost();
  let disposed = false;
  const check = (w: ParamVector) => {
    if (disposed) throw new Error('objective: used after dispose()');
    if (w.length !== base.length) {
      throw new UsageError(`objective: a parameter vector has ${w.length} blocks, the model has ${base.length}`);
    }
  };
  const l2Value = (w: ParamVector): number => (l2 > 0 ? l2 * pv.dot(w, w) : 0);

  /** A NaN or infinite loss stops the measurement, naming the evaluation and the point. */
  const checkFinite = (value: number, what: string, count: number, w: ParamVector): number => {
    if (Number.isFinite(value)) return value;
    let distance = 0;
    if (w !== base) {
      // in float64: the point may be far enough out for float32 squares to overflow
      const a = pv.flatten(w);
      const b = pv.flatten(base);
      let s2 = 0;
      for (let i = 0; i < a.length; i++) s2 += (a[i]! - b[i]!) ** 2;
      distance = Math.sqrt(s2);
    }
    throw new NumericError(
      `objective: the loss is ${value} at ${what} #${count} (distance ${distance.toPrecision(3)} from the checkpoint in parameter space); ` +
        'the measurement stopped there: use a smaller radius, range or learning rate, or check the data for extreme values',
    );
  };

  return {
    kind: 'model',
    names: m.names,
    shapes: m.shapes,
    dimension: m.dimension,
    numSamples: m.numSamples,
    params: base,
    cost,
    loss(w) {
      check(w);
      cost.lossEvaluations++;
      return checkFinite(sums.loss(w) + l2Value(w), 'loss evaluation', cost.lossEvaluations, w);
    },
    lossAndAccuracy(w): LossAndAccuracy {
      check(w);
      cost.lossEvaluations++;
      const r = sums.lossAndCorrect(w);
      const lossValue = checkFinite(r.loss + l2Value(w), 'loss evaluation', cost.lossEvaluations, w);
      return { loss: lossValue, accuracy: r.correct === null ? null : r.correct / m.numSamples };
    },
    grad(w) {
      check(w);
      cost.gradients++;
      const r = sums.grad(w);
      let grad = r.grad;
      if (l2 > 0) {
        const withL2 = pv.axpy(2 * l2, w, grad);
        pv.dispose(grad);
        grad = withL2;
      }
      if (!Number.isFinite(r.value)) pv.dispose(grad);
      return { value: checkFinite(r.value + l2Value(w), 'gradient evaluation', cost.gradients, w), grad };
    },
    hvp(w, v) {
      check(w);
      cost.hvps++;
      let out = sums.hvp(w, v);
      if (l2 > 0) {
        const withL2 = pv.axpy(2 * l2, v, out);
        pv.dispose(out);
        out = withL2;
      }
      return out;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      release();
      m.dispose();
    },
  };
}

/**
 * The loss of a network (any checkpoint format) over a whole dataset, as a function of
 * its trainable weights, computed in this thread. The network is copied
 * (Network.analysisNet), so evaluating at any w never touches the caller's model; the
 * copy's weights are restored to w* after every call.
 */
export async function createModelObjective(model: NetworkLike, data: Dataset, opts: ModelObjectiveOptions): Promise<Objective> {
  const m = await openChunkedModel(model, data, opts);
  return objectiveFromChunkSums(m, localChunkSums(m));
}
