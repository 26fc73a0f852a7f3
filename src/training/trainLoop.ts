/**
 * The train loop, free of file I/O: epochs of seeded shuffled minibatches over a Dataset,
 * one method step per minibatch (sgd, sam, swa, fge), the LR plan, SWA's running average
 * and FGE's snapshot events. Its whole state after an epoch is plain data (TrainerState),
 * so a run can be saved after any epoch and resumed to the same final weights.
 *
 * Randomness: epoch e (0-based) shuffles with rng.fork(e).fork(0) and gives minibatch b
 * the dropout seeds of rng.fork(e).fork(b + 1), rng = createRng(seed). Nothing else is
 * random, so the same seed on the same backend gives the same weights, resumed or not.
 *
 * --grad-chunk G (config.gradChunk): each minibatch's loss and gradient are the weighted sum
 * of its chunks' (chunkedGradient.ts), computed in this thread or by a StepChunkRunner given
 * (worker threads: stepWorkers.ts), added in chunk order here; chunk c's dropout seed is the
 * c-th draw of rng.fork(e).fork(b + 1). SAM's two passes are both chunked; e_hat comes from
 * the summed first gradient, and the L2 term is added here, as without chunks.
 */
import { tf, tfl, type Scalar, type Tensor, type Variable } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import { createRng, type Rng } from '../engine/rng.ts';
import type { Dataset } from '../io/dataset.ts';
import { NumericError, UsageError } from '../errors.ts';
import { Loss } from '../objective/losses.ts';
import { addL2Gradient, samGradient, samGradientOf, sgdGradient, type StepGradient } from './methodStep.ts';
import { chunkedGradient, chunkSizes, localChunks, type StepChunkRunner } from './chunkedGradient.ts';
import { MinibatchLoss } from './MinibatchLoss.ts';
import { endsCycle, lrAt, type LrPlan } from './schedules.ts';
import { HeavyBall } from './sgdStep.ts';
import { RunningAverage } from './swaAverage.ts';
import { Method, batchesPerEpoch, lrPlanFor, type TrainConfig } from './trainConfig.ts';
import { isLayersModel, layersTrainableNet } from './layersTrainableNet.ts';
import type { TrainableNet } from './TrainableNet.ts';

/** Everything needed to continue a run after `epoch` completed epochs. */
export interface TrainerState {
  /** Completed epochs. */
  epoch: number;
  /** Completed iterations (epoch * batches per epoch). */
  iteration: number;
  /** All weights (trainable and not), TrainableNet.flatWeights order (`model.weights` for layers models). */
  weights: Float32Array;
  /** Heavy-ball buffers, one per trainable weight. */
  momentum: Float32Array[];
  /** SWA's running average over all weights, or null. */
  swa: { values: Float64Array; count: number } | null;
  /** FGE snapshots taken so far. */
  snapshots: number;
}

export interface IterationInfo {
  /** 1-based. */
  epoch: number;
  /** 1-based, over the whole run. */
  iteration: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  lr: number;
  loss: number;
  /** Running accuracy of the epoch so far (null for mse). */
  accuracy: number | null;
}

export interface EpochStats {
  /** 1-based. */
  epoch: number;
  /** Mean minibatch loss over the epoch (the data loss at w before each step, without the L2 term). */
  trainLoss: number;
  /** Fraction of the epoch's samples classified correctly at w before each step (null for mse). */
  trainAccuracy: number | null;
  /** The LR of the epoch's last iteration. */
  lr: number;
  /** Per iteration of the epoch. */
  iterations: { lr: number[]; loss: number[] };
  seconds: number;
}

export interface SnapshotInfo {
  /** 1-based snapshot number. */
  index: number;
  epoch: number;
  iteration: number;
  lr: number;
}

export interface TrainerEvents {
  onIteration?(info: IterationInfo): void;
  /** SWA: an iterate was averaged (flat weights, `model.weights` order) and the count after. */
  onAverage?(weights: Float32Array, count: number, iteration: number): void;
  /** FGE: the network holds an LR-minimum snapshot now; save it before resolving. */
  onSnapshot?(info: SnapshotInfo): Promise<void>;
  /** Checked between iterations; true stops the epoch early with TrainingStopped (the
   *  Trainer is then mid-epoch: discard it and resume from the last saved state). */
  shouldStop?(): boolean;
}

/** Thrown by runEpoch when `shouldStop` says so. */
export class TrainingStopped extends Error {
  constructor(epoch: number, iteration: number) {
    super(`train: stopped in epoch ${epoch} at iteration ${iteration}`);
    this.name = 'TrainingStopped';
  }
}

/** A permutation of 0..n-1 (Fisher-Yates) from rng. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface TrainerArgs {
  /** The training network (logits for ce / bce); its weights are trained in place. A layers
   *  model is wrapped by layersTrainableNet. */
  net: tfl.LayersModel | TrainableNet;
  data: Dataset;
  loss: Loss;
  config: TrainConfig;
  /** Continue from here; otherwise start at the network's current weights. */
  state?: TrainerState;
  /** With config.gradChunk: who computes the chunks (default: this thread). The Trainer closes it at dispose. */
  chunks?: StepChunkRunner;
}

export class Trainer {
  readonly net: TrainableNet;
  readonly data: Dataset;
  readonly loss: Loss;
  readonly config: TrainConfig;
  readonly plan: LrPlan;
  readonly batches: number;
  private readonly vars: Variable[];
  private readonly optimizer: HeavyBall;
  private readonly rng: Rng;
  private readonly average: RunningAverage | null;
  private readonly mb: MinibatchLoss;
  private readonly chunks: StepChunkRunner | null;
  private readonly dimension: number;
  private epochsDone: number;
  private iterationsDone: number;
  private snapshotsTaken: number;
  /** Gradients computed (SAM counts two per step). */
  gradients = 0;

  constructor(args: TrainerArgs) {
    const { net, data, loss, config, state } = args;
    if (data.n === 0) throw new UsageError(`train: ${data.spec} is empty`);
    this.net = isLayersModel(net) ? layersTrainableNet(net) : net;
    const G = config.gradChunk;
    if (G !== null && G < config.batchSize && this.net.batchNorm) {
      throw new UsageError(
        `train: --grad-chunk ${G} is smaller than --batch-size ${config.batchSize}, but the model has BatchNorm, whose batch statistics and running averages would come from chunks of ${G} samples (ghost BatchNorm), not the minibatch; use --grad-chunk >= ${config.batchSize} or leave it out`,
      );
    }
    this.data = data;
    this.loss = loss;
    this.config = config;
    this.plan = lrPlanFor(config, data.n);
    this.batches = batchesPerEpoch(config, data.n);
    this.vars = [...this.net.vars];
    this.mb = new MinibatchLoss(this.net, data, loss);
    this.dimension = this.vars.reduce((a, v) => a + v.size, 0);
    this.rng = createRng(config.seed);
    const size = this.net.weightCount;
    if (state) {
      if (state.iteration !== state.epoch * this.batches) {
        throw new UsageError(`train: the saved state is at iteration ${state.iteration}, not at the end of epoch ${state.epoch}`);
      }
      this.net.setFlatWeights(state.weights);
    }
    this.optimizer = new HeavyBall(this.vars, config.momentum, state?.momentum);
    this.average = config.method === Method.swa ? new RunningAverage(size, state?.swa ?? undefined) : null;
    this.epochsDone = state?.epoch ?? 0;
    this.iterationsDone = state?.iteration ?? 0;
    this.snapshotsTaken = state?.snapshots ?? 0;
    this.chunks = G === null ? null : (args.chunks ?? localChunks(this.mb));
  }

  get epoch(): number {
    return this.epochsDone;
  }

  get iteration(): number {
    return this.iterationsDone;
  }

  get done(): boolean {
    return this.epochsDone >= this.config.epochs;
  }

  get swaCount(): number {
    return this.average?.count ?? 0;
  }

  get snapshots(): number {
    return this.snapshotsTaken;
  }

  /** SWA's average of all weights (float64), or null before the first average / for other methods. */
  swaWeights(): Float64Array | null {
    return this.average && this.average.count > 0 ? this.average.mean() : null;
  }

  state(): TrainerState {
    return {
      epoch: this.epochsDone,
      iteration: this.iterationsDone,
      weights: this.net.flatWeights(),
      momentum: this.optimizer.bufferValues(),
      swa: this.average ? { values: this.average.mean(), count: this.average.count } : null,
      snapshots: this.snapshotsTaken,
    };
  }

  /** One minibatch step at iteration i (1-based) with learning rate lr. Returns loss and hits. */
  private step(x: Tensor, y: Tensor, lr: number): { loss: number; hits: number | null } {
    let hits: Tensor | null = null;
    const mb = this.mb;
    const first = (): Scalar => {
      const logits = mb.logits(x);
      const h = mb.hitsOf(logits, y);
      if (h) hits = tf.keep(h);
      return mb.lossOf(logits, y);
    };
    const plain = (): Scalar => mb.lossOf(mb.logits(x), y);
    let g: StepGradient;
    if (this.config.method === Method.sam) {
      g = samGradient(first, plain, this.vars, this.config.sam!, this.samHooks());
      this.gradients += 2;
    } else {
      g = sgdGradient(first, this.vars);
      this.gradients += 1;
    }
    this.net.endStep();
    let hitCount: number | null = null;
    if (hits) {
      hitCount = (hits as Tensor).dataSync()[0]!;
      (hits as Tensor).dispose();
    }
    return this.applyStep(g, hitCount, lr);
  }

  /** BatchNorm's moving statistics are updated by SAM's first pass only. */
  private samHooks(): { beforeSecondPass(): void; afterSecondPass(): void } {
    let restore: (() => void) | undefined;
    return {
      beforeSecondPass: () => {
        restore = this.net.saveState();
      },
      afterSecondPass: () => {
        restore?.();
      },
    };
  }

  /**
   * One minibatch step with --grad-chunk: the minibatch order[start .. start + size) in
   * chunks (see the module comment), their dropout seeds drawn from `rng` in chunk order.
   */
  private chunkedStep(order: Int32Array, start: number, size: number, rng: Rng, lr: number): { loss: number; hits: number | null } {
    const chunk = this.config.gradChunk!;
    const seeds = chunkSizes(size, chunk).map(() => rng.int(0, 0xffffffff));
    const indices = order.subarray(start, start + size);
    const shapes = pv.shapesOf(this.vars);
    let hits: number | null = null;
    const pass = (withHits: boolean): StepGradient => {
      const r = chunkedGradient(this.chunks!, { indices, chunk, seeds, withHits }, this.dimension);
      if (withHits) hits = r.hits;
      return { value: r.value, grads: pv.unflatten(r.grad, shapes) };
    };
    let g: StepGradient;
    if (this.config.method === Method.sam) {
      g = samGradientOf(() => pass(true), () => pass(false), this.vars, this.config.sam!, this.samHooks());
      this.gradients += 2;
    } else {
      g = pass(true);
      this.gradients += 1;
    }
    this.net.endStep();
    return this.applyStep(g, hits, lr);
  }

  /** Checks the loss, adds the L2 gradient and moves the weights; takes `g`'s tensors. */
  private applyStep(g: StepGradient, hitCount: number | null, lr: number): { loss: number; hits: number | null } {
    if (!Number.isFinite(g.value)) {
      pv.dispose(g.grads);
      throw new NumericError(`train: the loss became ${g.value} at iteration ${this.iterationsDone + 1} (epoch ${this.epochsDone + 1}); lower --lr`);
    }
    const total = addL2Gradient(g.grads, this.vars, this.config.l2);
    pv.dispose(g.grads);
    this.optimizer.stepInPlace(total, lr);
    pv.dispose(total);
    return { loss: g.value, hits: hitCount };
  }

  /** Runs the next epoch. Throws when all epochs are done. */
  async runEpoch(events: TrainerEvents = {}): Promise<EpochStats> {
    if (this.done) throw new UsageError(`train: all ${this.config.epochs} epochs are done`);
    const started = performance.now();
    const e = this.epochsDone;
    const epochRng = this.rng.fork(e);
    const order = permutation(this.data.n, epochRng.fork(0));
    const B = this.config.batchSize;
    const lrs: number[] = [];
    const losses: number[] = [];
    let lossSum = 0;
    let hitSum = 0;
    let seen = 0;
    const cyclic = this.plan.cyclic;
    // SWA (Algorithm 1): w_swa starts at the weights where the cyclic phase begins.
    if (this.average && cyclic && this.iterationsDone === cyclic.start && this.average.count === 0) {
      const w = this.net.flatWeights();
      this.average.update(w);
      events.onAverage?.(w, this.average.count, this.iterationsDone);
    }
    for (let b = 0; b < this.batches; b++) {
      if (events.shouldStop?.()) throw new TrainingStopped(e + 1, this.iterationsDone);
      const i = this.iterationsDone + 1;
      const lr = lrAt(this.plan, i);
      const start = b * B;
      const size = Math.min(B, this.data.n - start);
      let r: { loss: number; hits: number | null };
      if (this.chunks) {
        r = this.chunkedStep(order, start, size, epochRng.fork(b + 1), lr);
      } else {
        this.net.seedStep(epochRng.fork(b + 1));
        const { x, y } = this.mb.batchTensors(order, start, size);
        try {
          r = this.step(x, y, lr);
        } finally {
          tf.dispose([x, y]);
        }
      }
      this.iterationsDone = i;
      lrs.push(lr);
      losses.push(r.loss);
      lossSum += r.loss * size;
      if (r.hits !== null) hitSum += r.hits;
      seen += size;
      if (cyclic && i > cyclic.start && endsCycle(i - cyclic.start, cyclic.cycle)) {
        if (this.average) {
          const w = this.net.flatWeights();
          this.average.update(w);
          events.onAverage?.(w, this.average.count, i);
        }
        if (this.config.method === Method.fge) {
          this.snapshotsTaken++;
          await events.onSnapshot?.({ index: this.snapshotsTaken, epoch: e + 1, iteration: i, lr });
        }
      }
      events.onIteration?.({
        epoch: e + 1,
        iteration: i,
        batch: b + 1,
        batches: this.batches,
        lr,
        loss: r.loss,
        accuracy: this.loss === Loss.mse ? null : hitSum / seen,
      });
      await yieldToEventLoop();
    }
    this.epochsDone = e + 1;
    return {
      epoch: e + 1,
      trainLoss: lossSum / seen,
      trainAccuracy: this.loss === Loss.mse ? null : hitSum / seen,
      lr: lrs[lrs.length - 1]!,
      iterations: { lr: lrs, loss: losses },
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** Frees the optimizer's buffers and closes the chunk runner (its worker threads). */
  dispose(): void {
    this.optimizer.dispose();
    this.chunks?.close();
  }
}
